import numpy as np
import pytest
import torch

from gnn.artefact import GraphModel
from gnn.graphs import post_graph
from gnn.model import ResidualGCN
from gnn.propagation import propagate, thread_batches


def trained_looking_model(seed=0):
    """A model with random (non-zero) weights in both layers, so neighbours do move outputs."""
    torch.manual_seed(seed)
    model = ResidualGCN(0, hidden=16)
    for parameter in model.conv2.parameters():
        torch.nn.init.normal_(parameter, std=0.5)
    return GraphModel(model=model.eval())


def random_forest(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    parent = np.where(rng.random(n) < 0.2, -1, rng.integers(0, np.arange(n).clip(min=1)))
    parent[0] = -1
    graph = post_graph(np.arange(n), parent, rng.integers(0, 50, n), np.zeros(n))
    content = rng.dirichlet(np.ones(7), n).astype(np.float32)
    return graph.data, content


def test_batches_of_whole_threads_give_exactly_the_full_batch_answer():
    data, content = random_forest()
    model = trained_looking_model()
    full = propagate(model, data, content, batch_nodes=10**9)
    batched = propagate(model, data, content, batch_nodes=100)
    assert len(np.unique(thread_batches(data.thread.numpy(), 100))) > 5
    np.testing.assert_allclose(batched, full, atol=1e-5)
    assert not np.allclose(full, content, atol=1e-2)  # the graph did move something
    np.testing.assert_allclose(full.sum(1), 1.0, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (a gpu worker's)")
def test_the_gpu_gives_the_cpu_answer_full_batch_and_in_batches():
    data, content = random_forest()
    model = trained_looking_model()
    for batch_nodes in (10**9, 100):
        on_gpu = propagate(model, data, content, batch_nodes=batch_nodes, device="cuda")
        on_cpu = propagate(model, data, content, batch_nodes=batch_nodes, device="cpu")
        np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-5)


def test_thread_batches_never_split_a_thread():
    data, _ = random_forest(seed=1)
    thread = data.thread.numpy()
    batch = thread_batches(thread, 50)
    assert (batch == batch[thread]).all()


def test_an_untrained_model_returns_the_content_probabilities():
    data, content = random_forest(n=200)
    out = propagate(GraphModel(model=ResidualGCN(0).eval()), data, content)
    np.testing.assert_allclose(out, content, atol=1e-4)


def test_a_million_reply_star_propagates_in_one_piece():
    n = 1_000_001
    parent = np.zeros(n, np.int64)
    parent[0] = -1
    graph = post_graph(np.arange(n), parent, np.arange(n), np.zeros(n))
    content = np.full((n, 7), 1 / 7, np.float32)
    content[0] = [0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01]  # the root is angry, replies say "lol"
    out = propagate(trained_looking_model(), graph.data, content, batch_nodes=1000)
    assert out.shape == (n, 7)
    assert np.isfinite(out).all()
    assert np.allclose(out[1], out[-1])  # every reply sees the same conversation


def test_artefact_round_trip_keeps_outputs_and_version(tmp_path):
    model = trained_looking_model()
    model.meta = {"name": "graph-test", "control_state": ResidualGCN(0).state_dict()}
    model.save(tmp_path / "g.pt")
    loaded = GraphModel.load(tmp_path / "g.pt")
    assert loaded.version == model.version
    assert loaded.meta["name"] == "graph-test"
    data, content = random_forest(n=300)
    np.testing.assert_allclose(propagate(loaded, data, content), propagate(model, data, content))


def test_a_changed_model_gets_a_new_version():
    assert trained_looking_model(0).version != trained_looking_model(1).version


def test_loading_a_file_that_is_not_a_graph_model_fails_clearly(tmp_path):
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a graph model"):
        GraphModel.load(tmp_path / "other.pt")
