"""reports/results.json: the machine-readable result of a run (format documented in the README)."""

from __future__ import annotations

import json
from pathlib import Path

from ..results import Results
from ..scrub import scrub_value


def render(results: Results, secrets: list[str] | None = None) -> str:
    data = scrub_value(results.to_json(), secrets or [])
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


def write(results: Results, path: Path, secrets: list[str] | None = None) -> Path:
    path.write_text(render(results, secrets), encoding="utf-8")
    return path
