"""Emotion over reply graphs: a residual GCN on content evidence, and a label-propagation
baseline. Plain torch / PyG; no Django.

The residual path is the point: the GCN's output is *added* to the log of the content
probabilities, so a post with strong content evidence (a confident 0.95) keeps it unless its
conversation strongly disagrees, while a weak one ("lol", "this!", a bare reply: probabilities
near the prior) is moved by what its neighbours say.
"""

import numpy as np
import torch
from torch import nn
from torch_geometric.nn import GCNConv

CLASSES = 7


class ResidualGCN(nn.Module):
    """Two GCNConv layers over [features, content probabilities] -> a correction to the content
    log-probabilities."""

    def __init__(self, in_dim, hidden=64, dropout=0.5, classes=CLASSES):
        super().__init__()
        self.conv1 = GCNConv(in_dim + classes, hidden)
        self.conv2 = GCNConv(hidden, classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, content, edge_index):
        h = torch.relu(self.conv1(self.dropout(torch.cat([x, content], 1)), edge_index))
        return torch.log(content + 1e-6) + self.conv2(self.dropout(h), edge_index)


def label_propagation(content, edge_index, alpha=0.1, steps=10):
    """p <- alpha * mean of neighbours' p + (1 - alpha) * content, `steps` times."""
    content = np.asarray(content, dtype=np.float64)
    src, dst = np.asarray(edge_index)
    degree = np.bincount(dst, minlength=len(content))[:, None]
    p = content
    for _ in range(steps):
        mean = np.zeros_like(content)
        np.add.at(mean, dst, p[src])
        mean = np.divide(mean, degree, out=p.copy(), where=degree > 0)  # isolated: keep own
        p = alpha * mean + (1 - alpha) * content
    return p


def gcn_train(
    x, content, edge_index, y, train_mask, val_mask, *, score, hidden=64, lr=5e-3, epochs=300,
    patience=30, seed=0,
):  # fmt: skip
    """Full-batch training with class-balanced loss; keeps the epoch with the best `score(y_val,
    predicted_val)`. Returns (model, best score, best epoch)."""
    torch.manual_seed(seed)
    model = ResidualGCN(x.shape[1], hidden=hidden)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    y = torch.as_tensor(y)
    counts = torch.bincount(y[train_mask], minlength=CLASSES).float()
    weight = (counts.sum() / counts.clamp(min=1)) ** 0.5
    best = (-1.0, None, 0)
    for epoch in range(epochs):
        model.train()
        optimiser.zero_grad()
        out = model(x, content, edge_index)
        loss = nn.functional.cross_entropy(
            out[train_mask], y[train_mask], weight=weight / weight.mean()
        )
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
