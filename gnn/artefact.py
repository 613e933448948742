"""A trained graph model on disk: the weights plus what they need to be used correctly (which
edge types they were trained on, the label-propagation alpha chosen with them, and the
training record for the model card)."""

import hashlib
from dataclasses import dataclass, field

import torch

from gnn.graphs import EdgeType
from gnn.model import ResidualGCN

FORMAT = "emograph-graph-model/1"


@dataclass
class GraphModel:
    model: ResidualGCN
    edge_types: tuple[int, ...] = (EdgeType.REPLY_TO_PARENT, EdgeType.REPLY_TO_CHILD)
    lp_alpha: float = 0.3
    meta: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Hash of the weights and settings: a retrained model writes new prediction rows."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        digest.update(repr(([int(t) for t in self.edge_types], self.lp_alpha)).encode())
        return digest.hexdigest()[:12]

    def save(self, path):
        torch.save(
            {
                "format": FORMAT,
                "in_dim": self.model.in_dim,
                "hidden": self.model.hidden,
                "state": self.model.state_dict(),
                "edge_types": [int(t) for t in self.edge_types],
                "lp_alpha": self.lp_alpha,
                "meta": self.meta,
            },
            path,
        )

    @classmethod
    def load(cls, path):
        stored = torch.load(path, map_location="cpu", weights_only=True)
        if stored.get("format") != FORMAT:
            raise ValueError(f"{path}: not a graph model ({FORMAT})")
        model = ResidualGCN(stored["in_dim"], hidden=stored["hidden"])
        model.load_state_dict(stored["state"])
        return cls(
            model=model.eval(),
            edge_types=tuple(stored["edge_types"]),
            lp_alpha=stored["lp_alpha"],
            meta=stored["meta"],
        )
