"""reports/results.json: the machine-readable result of a run (format documented in the README)."""

from __future__ import annotations

import json

from ..results import Results
from ..scrub import scrub_value


def render(results: Results, secrets: list[str] | None = None) -> str:
    """Strings stay whole and exact; a lone surrogate is escaped when written (see display.encodable)."""
    data = scrub_value(results.to_json(), secrets or [])
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"

