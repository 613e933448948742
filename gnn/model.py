"""Emotion over reply graphs: a residual GCN on content evidence, and a label-propagation
baseline. Plain torch / PyG; no Django.

The residual path is the point: the GCN's output is *added* to the log of the content
probabilities, so a post with strong content evidence (a confident 0.95) keeps it unless its
conversation strongly disagrees, while a weak one ("lol", "this!", a bare reply: probabilities
near the prior) is moved by what its neighbours say. The last layer starts at zero, so an
untrained model is exactly the content stage and training only learns the correction.
"""

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch_geometric.nn import GCNConv

CLASSES = 7
EPSILON = 1e-6


class ResidualGCN(nn.Module):
    """Two GCNConv layers over [features, content probabilities] -> a correction to the content
    log-probabilities. `in_dim` may be 0: the shipped model reads the probabilities only."""

    def __init__(self, in_dim=0, hidden=64, dropout=0.5, classes=CLASSES):
        super().__init__()
        self.in_dim, self.hidden = in_dim, hidden
        self.conv1 = GCNConv(in_dim + classes, hidden)
        self.conv2 = GCNConv(hidden, classes)
        for parameter in self.conv2.parameters():
            nn.init.zeros_(parameter)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, content, edge_index):
        inputs = content if x is None or x.shape[1] == 0 else torch.cat([x, content], 1)
        h = torch.relu(self.conv1(self.dropout(inputs), edge_index))
        return torch.log(content + EPSILON) + self.conv2(self.dropout(h), edge_index)


def label_propagation(content, edge_index, alpha=0.1, steps=10):
    """p <- alpha * mean of neighbours' p + (1 - alpha) * content, `steps` times; a node
    without neighbours keeps its own content. One sparse matrix product per step."""
    content = np.asarray(content, dtype=np.float64)
    n = len(content)
    src, dst = np.asarray(edge_index)
    degree = np.bincount(dst, minlength=n).astype(np.float64)
    isolated = degree == 0
    mean_of = sp.csr_matrix(
        (1.0 / degree[dst], (dst, src)) if len(dst) else ([], ([], [])), shape=(n, n)
    )
    p = content
    for _ in range(steps):
        mean = mean_of @ p
        mean[isolated] = p[isolated]
        p = alpha * mean + (1 - alpha) * content
    return p


def gcn_train(
    x, content, edge_index, y, train_mask, val_mask, *, score, hidden=64, lr=1e-2, epochs=300,
    patience=60, dropout=0.5, class_weighted=False, seed=0,
):  # fmt: skip
    """Full-batch training; keeps the epoch with the best `score(y_val, predicted_val)` and
    stops `patience` epochs after it. Plain cross-entropy by default: class weights pull
    towards rare classes, which the weighted-F1 selection then fights (MELD: best epoch 0).
    Returns (model, best score, best epoch)."""
    torch.manual_seed(seed)
    model = ResidualGCN(0 if x is None else x.shape[1], hidden=hidden, dropout=dropout)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    y = torch.as_tensor(y)
    weight = None
    if class_weighted:
        counts = torch.bincount(y[train_mask], minlength=CLASSES).float()
        weight = (counts.sum() / counts.clamp(min=1)) ** 0.5
        weight = weight / weight.mean()
    best = (-1.0, None, 0)
    for epoch in range(epochs):
        model.train()
        optimiser.zero_grad()
        out = model(x, content, edge_index)
        loss = nn.functional.cross_entropy(out[train_mask], y[train_mask], weight=weight)
        loss.backward()
        optimiser.step()
        model.eval()
        with torch.no_grad():
            predicted = model(x, content, edge_index)[val_mask].argmax(1).numpy()
        value = score(y[val_mask].numpy(), predicted)
        if value > best[0]:
            best = (value, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
        elif epoch - best[2] >= patience:
            break
    model.load_state_dict(best[1])
    return model.eval(), best[0], best[2]
