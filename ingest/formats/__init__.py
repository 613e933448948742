"""Import formats by name. Generic readers take a binary stream; public-data readers a path."""

from .generic import read_csv, read_jsonl
from .public import read_goemotions, read_meld, read_rumoureval, read_smp2020, read_weibo_ced

GENERIC = {"csv": read_csv, "jsonl": read_jsonl}
PUBLIC = {
    "rumoureval": read_rumoureval,
    "weibo_ced": read_weibo_ced,
    "goemotions": read_goemotions,
    "meld": read_meld,
    "smp2020": read_smp2020,
}
ALL = (*GENERIC, "zip", *PUBLIC)
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".zip": "zip"}
