"""Report handlers: each turns the one Results model into one format. Known secrets are scrubbed on the way out."""

from __future__ import annotations

from pathlib import Path

from ..results import Results
from ..scrub import scrub_text
from . import html, json_report, junit


def write_all(results: Results, report_dir: str | Path, secrets: list[str] | None = None) -> list[Path]:
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    secrets = secrets or []
    outputs = {
        folder / "results.json": json_report.render(results, secrets),
        folder / "junit.xml": scrub_text(junit.render(results), secrets),
        folder / "report.html": scrub_text(html.render(results), secrets),
    }
    for path, text in outputs.items():
        # A lone surrogate from a server (in a message or a body) cannot be encoded as UTF-8: written as its
        # escape it stays a valid JSON string escape in results.json and plain text elsewhere.
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
    return list(outputs)
