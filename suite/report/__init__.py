"""Report handlers: each turns the one Results model into one format. Known secrets are scrubbed on the way out.

Reports are written atomically: every file is rendered first, then each is written to a temporary name in the
report folder and renamed over the old one, so a failure leaves the previous complete report in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import UsageError
from ..results import Results
from ..scrub import scrub_text
from . import html, json_report, junit
from .display import encodable, safe_display

REPORT_FILES = ("results.json", "junit.xml", "report.html")


class ReportWriteError(Exception):
    """The reports could not be written; the message is one line naming the folder and the cause."""


def check_writable(report_dir: str | Path) -> None:
    """Raise UsageError when reports cannot be written to ``report_dir``, before a run spends any request.
    Tried for real (create the folder, create and remove a file): permission bits say nothing for root."""
    folder = Path(report_dir)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]  # created for the probe, removed after it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".oaic-probe-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write reports to {folder}: {exc.strerror or exc}") from None
    finally:
        for created in missing:  # deepest first: a run that stops before its reports leaves no empty folder
            with contextlib.suppress(OSError):
                created.rmdir()


def render_all(results: Results, secrets: list[str] | None = None) -> dict[str, bytes]:
    """File name -> bytes of every report, ready to write."""
    secrets = secrets or []
    texts = {
        "results.json": json_report.render(results, secrets),
        "junit.xml": scrub_text(junit.render(results, secrets), secrets),
        "report.html": scrub_text(html.render(results), secrets),
    }
    return {name: encodable(text) for name, text in texts.items()}


def write_all(results: Results, report_dir: str | Path, secrets: list[str] | None = None) -> list[Path]:
    """Write every report, or raise ReportWriteError leaving the previous reports as they were."""
    folder = Path(report_dir)
    try:
        outputs = render_all(results, secrets)
    except Exception as exc:  # a report bug must cost the new reports, never the old ones
        raise ReportWriteError(f"reports not written (rendering failed: {exc.__class__.__name__}: "
                               f"{safe_display(exc, 200)}); "
                               f"the previous reports in {folder} are unchanged") from exc
    staged: list[tuple[Path, Path]] = []
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in outputs.items():
            staged.append((_stage(folder, name, data), folder / name))
        for temporary, final in staged:
            os.replace(temporary, final)  # atomic: a reader sees the old file or the new one, never a part
            written.append(final)
    except OSError as exc:
        state = "the previous reports are unchanged" if not written else \
            f"only {', '.join(p.name for p in written)} was replaced"
        raise ReportWriteError(f"cannot write reports to {folder}: {exc.strerror or exc}; {state}") from None
    finally:
        for temporary, _ in staged:
            if temporary.exists():
                temporary.unlink()
    return written


def _stage(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` completely to a new temporary file beside ``name`` (same permissions as a plain new file);
    its path."""
    path = folder / f".{name}.{os.getpid()}.{_token()}.tmp"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _token() -> str:
    import secrets

    return secrets.token_hex(4)
