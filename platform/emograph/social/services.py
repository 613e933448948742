"""Writes of social data. Importers (ingest/) build on these."""

import hashlib
import hmac

from django.conf import settings

PSEUDONYM_PREFIX = "h:"


def pseudonymise(value, *, key=None, scope=""):
    """Keyed hash of an identifier: stable for the same key (so a user's posts still group
    together) but not reversible or guessable by hashing candidate handles without the key.
    `scope` (e.g. the source slug) keeps equal handles on different platforms apart."""
    key = (key if key is not None else settings.EMOGRAPH_PSEUDONYM_KEY).encode()
    digest = hmac.new(key, f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def author_identity(*, source_slug, external_id, handle):
    """What to store for an author: raw values, or keyed hashes when pseudonymisation is on."""
    if not settings.EMOGRAPH_PSEUDONYMISE_AUTHORS:
        return {"external_id": external_id, "handle": handle, "is_pseudonymised": False}
    return {
        "external_id": pseudonymise(external_id, scope=source_slug),
        "handle": pseudonymise(handle, scope=source_slug) if handle else "",
        "is_pseudonymised": True,
    }
