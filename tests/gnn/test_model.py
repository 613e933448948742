import numpy as np
import torch
from sklearn.metrics import accuracy_score

from gnn.model import ResidualGCN, gcn_train, label_propagation


def chains(n_chains=60, length=6, seed=0):
    """Reply chains whose posts share their chain's class; half the posts carry confident
    content evidence, the other half ('lol') only the uniform prior."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(rng.integers(0, 7, n_chains), length)
    n = len(labels)
    content = np.full((n, 7), 1 / 7)
    strong = rng.random(n) < 0.5
    content[strong] = 0.02
    content[strong, labels[strong]] = 0.88
    node = np.arange(n)
    child = node[node % length != 0]
    edge_index = np.stack([np.r_[child, child - 1], np.r_[child - 1, child]])
    return content, edge_index, labels, strong


def test_residual_gcn_keeps_strong_evidence_and_fixes_weak_posts():
    content, edge_index, labels, strong = chains()
    x = torch.zeros(len(labels), 4)
    p, ei = torch.tensor(content, dtype=torch.float32), torch.tensor(edge_index)
    train = torch.tensor(np.arange(len(labels)) < 240)
    val = ~train
    model, best, _ = gcn_train(x, p, ei, labels, train, val, score=accuracy_score, epochs=150)
    with torch.no_grad():
        predicted = model(x, p, ei).argmax(1).numpy()
    assert accuracy_score(labels[strong], predicted[strong]) > 0.95
    weak_before = accuracy_score(labels[~strong], content[~strong].argmax(1))
    assert accuracy_score(labels[~strong], predicted[~strong]) > weak_before + 0.4
    assert best > 0.8


def test_residual_path_is_the_content_when_the_graph_adds_nothing():
    model = ResidualGCN(4).eval()
    for parameter in model.conv2.parameters():
        torch.nn.init.zeros_(parameter)
    p = torch.softmax(torch.randn(5, 7), 1)
    out = model(torch.zeros(5, 4), p, torch.tensor([[0, 1], [1, 0]]))
    assert torch.allclose(torch.softmax(out, 1), p, atol=1e-4)


def test_label_propagation_pulls_weak_posts_to_their_neighbours_and_keeps_isolated_ones():
    content, edge_index, labels, strong = chains(n_chains=20)
    lonely = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    out = label_propagation(np.vstack([content, lonely]), edge_index, alpha=0.5)
    assert np.allclose(out.sum(1), 1.0)
    assert accuracy_score(labels[~strong], out[:-1][~strong].argmax(1)) > 0.5
    assert np.allclose(out[-1], lonely[0])
