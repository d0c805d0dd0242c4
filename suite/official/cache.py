"""The normalized official document, cached by the hash of its content (and of the normalizer's version), so a
second load is one JSON parse. The cache lives in $OAIC_CACHE_DIR, else ~/.cache/oaic."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .normalize import NORMALIZER_VERSION, Report, normalize
from .source import parse, read_source


def cache_dir() -> Path:
    configured = os.environ.get("OAIC_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "oaic"


def content_key(raw: bytes) -> str:
    return hashlib.sha256(b"oaic-normalizer-%d\n" % NORMALIZER_VERSION + raw).hexdigest()


def normalized_document(source: str) -> tuple[dict[str, Any], str]:
    """(normalized document, content key) for a path or URL; normalizes only on a cache miss."""
    raw = read_source(source)
    key = content_key(raw)
    cached = cache_dir() / f"openapi-{key[:32]}.json"
    try:
        return json.loads(cached.read_bytes()), key
    except (OSError, ValueError):
        pass
    data, _ = normalize_source(raw, source)
    _write_atomically(cached, json.dumps(data, separators=(",", ":")).encode("utf-8"))
    return data, key


def normalize_source(raw: bytes, source: str) -> tuple[dict[str, Any], Report]:
    data = parse(raw, source)
    return data, normalize(data)


def _write_atomically(path: Path, content: bytes) -> None:
    """A cache that cannot be written (read-only home, full disk) only costs speed, never a run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".openapi-", delete=False) as handle:
            handle.write(content)
        os.replace(handle.name, path)
    except OSError:
        pass
