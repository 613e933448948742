"""The fusion comparison: text-only, image-only, early, late and gated fusion on built memes.

No labelled multimodal social posts ship with the project, so `memes_build` makes them from
GoEmotions-Ekman comments, deterministically (seed 0). Each post has a text comment A and an
image: a real photo (scikit-image's sample photos, the astronaut's face included) under a white
caption strip with comment B printed in it. Three kinds of post:
- `aligned` (60 %): B has A's gold label (a meme that says what the post says). Gold: A's label.
- `unrelated` (20 %): B is any comment (an image that has nothing to do with the text). Gold:
  A's label.
- `image_only` (20 %): no text; gold is B's label.
Train posts come from GoEmotions train, dev posts from dev and test posts from test, so no
comment is shared across splits. Every image goes through the real image models (OCR,
faces, EfficientNet) exactly as scoring runs them.

Methods (all over the same frozen features and the shipped English head):
- text-only: the head on A; image-only: late fusion of the image's sources alone;
- late: `fusion.late_fusion`, the production rule (fixed weights);
- early: an MLP on [text features, OCR-text features, image embedding, face mix, flags],
  trained on the train posts (dev for early stopping and offsets);
- gated (attention over modalities): a small network reads the three sources' probabilities,
  availability and confidence, and outputs softmax weights over the available sources; the
  result is the weighted mix. Trained on train, early-stopped on dev.
"""

import random
import textwrap
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from torch import nn

from .datasets import labelled_texts
from .fusion import MIN_OCR_CHARS, SOURCES, Gate, late_fusion
from .heads import head_train

KINDS = (("aligned", 0.6), ("unrelated", 0.2), ("image_only", 0.2))
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
MAX_CAPTION = 70


def memes_build(data, count, seed):
    """[(text, caption, photo name, kind, gold)] from one labelled split."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    short = [i for i, t in enumerate(data.texts) if 3 <= len(t) <= MAX_CAPTION]
    by_label = {}
    for i in short:
        by_label.setdefault(data.labels[i], []).append(i)
    posts = []
    for _ in range(count):
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        a = rng.randrange(len(data.texts))
        label = data.labels[a]
        b = rng.choice(by_label[label]) if kind != "unrelated" else rng.choice(short)
        if kind == "image_only":
            posts.append(("", data.texts[b], rng.choice(PHOTOS), kind, data.labels[b]))
        else:
            posts.append((data.texts[a], data.texts[b], rng.choice(PHOTOS), kind, label))
    return posts


def meme_image(caption, photo, font):
    from PIL import Image, ImageDraw, ImageFont
    from skimage import data as photos

    picture = Image.fromarray(getattr(photos, photo)()).convert("RGB")
    picture = picture.resize((640, int(640 * picture.height / picture.width)))
    lines = textwrap.wrap(caption, 36)[:2]
    canvas = Image.new("RGB", (640, 140 + picture.height), "white")
    draw = ImageDraw.Draw(canvas)
    face = ImageFont.truetype(font, 30)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 50 * i), line, font=face, fill="black")
    canvas.paste(picture, (0, 140))
    return canvas


def features_build(posts, pipeline, image_models, font, log=print):
    """Per post: text and OCR-text features, image embedding, face mix, and the per-source
    probabilities of the shipped head."""
    images = [meme_image(caption, photo, font) for _, caption, photo, _, _ in posts]
    log(f"  {len(images)} images: OCR, faces, embeddings ...")
    ocr = image_models.ocr.read(images)
    faces = image_models.faces.detect(images)
    embedding = image_models.encoder.embed(images)
    text_x = pipeline.encoder.embed([p[0] for p in posts]).astype(np.float16).astype(np.float32)
    ocr_x = pipeline.encoder.embed(ocr).astype(np.float16).astype(np.float32)
    has_text = np.array([bool(p[0].strip()) for p in posts])
    has_ocr = np.array([len(t.replace(" ", "")) >= MIN_OCR_CHARS for t in ocr])
    has_face = np.array([f.probs is not None for f in faces])
    face_p = np.array([f.probs if f.probs is not None else np.zeros(7) for f in faces])
    return {
        "text_x": text_x,
        "ocr_x": ocr_x * has_ocr[:, None],
        "image_x": embedding,
        "p": {
            "text": pipeline.head.probabilities(text_x),
            "image_text": pipeline.head.probabilities(ocr_x),
            "faces": face_p,
        },
        "has": {"text": has_text, "image_text": has_ocr, "faces": has_face},
        "y": np.array([p[4] for p in posts]),
        "kind": np.array([p[3] for p in posts]),
        "ocr": ocr,
    }


def late_predict(f, sources):
    out = []
    for i in range(len(f["y"])):
        chosen = {s: f["p"][s][i] if f["has"][s][i] else None for s in sources}
        if not any(v is not None for v in chosen.values()):
            chosen = {"text": f["p"]["text"][i]}  # nothing: the head's reading of empty text
        out.append(late_fusion(chosen)[0])
    return np.array(out)


def early_matrix(f):
    flags = np.stack([f["has"][s] for s in SOURCES], 1).astype(np.float32)
    return np.hstack([f["text_x"], f["ocr_x"], f["image_x"], f["p"]["faces"], flags])


def gate_inputs(f):
    p = torch.tensor(np.stack([f["p"][s] for s in SOURCES], 1), dtype=torch.float32)
    has = torch.tensor(np.stack([f["has"][s] for s in SOURCES], 1))
    has[~has.any(1), 0] = True  # nothing at all: fall back to the text head (empty text)
    return p, has


def gate_train(train, dev, *, epochs=200, patience=20, seed=0):
    torch.manual_seed(seed)
    gate = Gate()
    optimiser = torch.optim.Adam(gate.parameters(), lr=1e-2, weight_decay=1e-4)
    p, has = gate_inputs(train)
    y = torch.tensor(train["y"])
    dp, dhas = gate_inputs(dev)
    best = (-1.0, None, 0)
    for epoch in range(epochs):
        gate.train()
        optimiser.zero_grad()
        loss = nn.functional.nll_loss(torch.log(gate(p, has) + 1e-8), y)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            score = f1_score(
                dev["y"], gate.eval()(dp, dhas).argmax(1).numpy(), average="macro", zero_division=0
            )
        if score > best[0]:
            best = (score, {k: v.clone() for k, v in gate.state_dict().items()}, epoch)
        elif epoch - best[2] >= patience:
            break
    gate.load_state_dict(best[1])
    return gate.eval()


def fusion_compare(
    *, goemotions_dir, pipeline, image_models, font, sizes=(1200, 300, 800), log=print
):
    folder = Path(goemotions_dir)
    splits = {}
    for (name, file), count, seed in zip(
        (("train", "train.tsv"), ("dev", "dev.tsv"), ("test", "test.tsv")),
        sizes,
        (0, 1, 2),
        strict=True,
    ):
        log(f"{name}: building {count} posts from {file}")
        posts = memes_build(labelled_texts(folder / file, "goemotions"), count, seed)
        splits[name] = features_build(posts, pipeline, image_models, font, log)
    train, dev, test = splits["train"], splits["dev"], splits["test"]

    early, _ = head_train(early_matrix(train), train["y"], early_matrix(dev), dev["y"], dropout=0.5)
    gate = gate_train(train, dev)
    with torch.no_grad():
        gated = gate(*gate_inputs(test)).numpy()
    predictions = {
        "text-only": test["p"]["text"],
        "image-only (OCR text + faces, late)": late_predict(test, ("image_text", "faces")),
        "early (concatenated features, MLP)": early.probabilities(early_matrix(test)),
        "late (fixed weights, production)": late_predict(test, SOURCES),
        "gated attention over modalities": gated,
    }
    rows = {}
    for method, probs in predictions.items():
        predicted = probs.argmax(1)
        row = {
            "macro_f1": f1_score(test["y"], predicted, average="macro", zero_division=0),
            "accuracy": accuracy_score(test["y"], predicted),
        }
        for kind, _ in KINDS:
            mask = test["kind"] == kind
            row[f"acc_{kind}"] = accuracy_score(test["y"][mask], predicted[mask])
        rows[method] = {k: round(float(v), 4) for k, v in row.items()}
    ocr_hit = float(np.mean([len(t) > 0 for t in test["ocr"]]))
    return {
        "posts": {name: len(s["y"]) for name, s in splits.items()},
        "test_kinds": {k: int((test["kind"] == k).sum()) for k, _ in KINDS},
        "ocr_read_something": round(ocr_hit, 4),
        "results": rows,
        "gate": gate,
    }
