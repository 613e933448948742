"""Labelled texts for training and evaluation, read through the importers' own readers.

Using ingest's readers keeps one definition of each public format (label mapping included):
what `train_emotion` learns from is exactly what `import_posts` would import as `human`
predictions. Only rows with a single gold class are kept; rows the reader rejects are counted.
"""

from dataclasses import dataclass, field

import numpy as np

from ingest.formats import PUBLIC
from ingest.records import RowError

from .taxonomy import EMOTION_INDEX

LABELLED_FORMATS = ("goemotions", "meld", "smp2020")


@dataclass
class LabelledTexts:
    path: str
    texts: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    languages: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    parents: list = field(default_factory=list)
    authors: list = field(default_factory=list)
    skipped_unlabelled: int = 0
    rejected: list = field(default_factory=list)

    @property
    def y(self):
        return np.asarray(self.labels, dtype=np.int64)

    def __len__(self):
        return len(self.texts)


def labelled_texts(path, fmt):
    if fmt not in LABELLED_FORMATS:
        raise ValueError(f"format {fmt!r}: labelled formats are {', '.join(LABELLED_FORMATS)}")
    data = LabelledTexts(path=str(path))
    for row in PUBLIC[fmt](path):
        if isinstance(row, RowError):
            data.rejected.append(str(row))
            continue
        label = row.fields.get("label", "")
        if not label:
            data.skipped_unlabelled += 1
            continue
        data.texts.append(row.fields["text"])
        data.labels.append(EMOTION_INDEX[label])
        data.languages.append(row.fields.get("language", ""))
        data.ids.append(row.fields["id"])
        data.parents.append(row.fields.get("parent_id", ""))
        data.authors.append(row.fields.get("author", ""))
    return data
