"""Known failures: a baseline lets a release pipeline pass on what is already known to fail and still catch
anything new.

A baseline is read from an earlier results.json (its failing requirements are the known failures) or from a
small expectations file, TOML or JSON::

    # expectations.toml
    [[known]]
    requirement = "chat.stream.done-sentinel"
    reason = "upstream issue 123"

or ``{"known": [{"requirement": "...", "reason": "..."}, "another.id"]}``, or a plain JSON list of ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

FAILING = ("fail", "warn")  # verdicts a baseline can list as known


@dataclass
class Baseline:
    known: set[str]
    reasons: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_outcome(cls, data: dict[str, Any]) -> Baseline:
        """The baseline recorded in a results.json (``baseline: {known, new, stale}``)."""
        known = {str(i) for i in (data.get("known") or []) + (data.get("stale") or [])}
        return cls(known, dict(data.get("reasons") or {}), str(data.get("source") or ""))


@dataclass
class BaselineOutcome:
    known: list[str]  # failing now, and listed: do not fail the exit code
    new: list[str]  # failing now, not listed: fail the exit code
    stale: list[str]  # listed, but no longer failing: the baseline should drop them
    reasons: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"known": self.known, "new": self.new, "stale": self.stale}
        if self.reasons:
            out["reasons"] = self.reasons
        if self.source:
            out["source"] = self.source
        return out


def compare(verdicts: dict[str, str], baseline: Baseline, strict: bool = False) -> BaselineOutcome:
    """Split the current failures (requirement id -> verdict) into known and new, and find stale entries.
    A warn counts as a failure only with --strict, as it does for the exit code."""
    failing = {rid for rid, verdict in verdicts.items() if verdict == "fail" or (strict and verdict == "warn")}
    judged = {rid for rid, verdict in verdicts.items() if verdict in ("pass", "warn", "fail")}
    known = sorted(failing & baseline.known)
    new = sorted(failing - baseline.known)
    # Stale: listed, judged in this run, and not failing. A requirement not run (skip, error) says nothing.
    stale = sorted((baseline.known & judged) - failing)
    reasons = {rid: baseline.reasons[rid] for rid in known + stale if rid in baseline.reasons}
    return BaselineOutcome(known, new, stale, reasons, baseline.source)


def apply_baseline(results: Any, baseline: Baseline | None) -> BaselineOutcome | None:
    """Attach ``baseline`` to a Results: its known failures stop counting for the exit code."""
    results.baseline = baseline
    return results.baseline_outcome()


def load_baseline(path: str | Path | None) -> Baseline | None:
    """Read a baseline file (results.json, or expectations in TOML or JSON); None when no path is given."""
    if not path:
        return None
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"baseline {path} is not UTF-8 text") from None
    data = _parse(path, text)
    if isinstance(data, dict) and isinstance(data.get("requirements"), list) and "findings" in data:
        return _from_results(path, data)
    return _from_expectations(path, data)


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".toml":
        import sys

        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"baseline {path} is not valid TOML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"baseline {path} is not JSON (or TOML with a .toml name): {exc}") from None


def _from_results(path: Path, data: dict[str, Any]) -> Baseline:
    known = set()
    for item in data["requirements"]:
        if not isinstance(item, dict) or not isinstance(item.get("requirement"), str):
            raise UsageError(f"baseline {path}: a requirements entry has no requirement id")
        if item.get("verdict") in FAILING:
            known.add(item["requirement"])
    return Baseline(known, {}, str(path))


def _from_expectations(path: Path, data: Any) -> Baseline:
    entries = data.get("known") if isinstance(data, dict) else data
    if isinstance(data, dict) and set(data) - {"known"}:
        raise UsageError(f"baseline {path}: unknown key {sorted(set(data) - {'known'})[0]!r} (expected 'known')")
    if not isinstance(entries, list):
        raise UsageError(f"baseline {path}: expected a list of requirement ids under 'known' "
                         "(or an oaic results.json)")
    from .catalogue import load

    catalogue = load()
    known, reasons = set(), {}
    for entry in entries:
        if isinstance(entry, str):
            rid, reason = entry, None
        elif isinstance(entry, dict) and isinstance(entry.get("requirement"), str):
            rid, reason = entry["requirement"], entry.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise UsageError(f"baseline {path}: the reason of {rid} is not a string")
        else:
            raise UsageError(f"baseline {path}: each entry is a requirement id or "
                             f"{{requirement = \"id\", reason = \"...\"}}, got {entry!r:.80}")
        if rid not in catalogue:
            raise UsageError(f"baseline {path}: unknown requirement {rid!r} (see: oaic requirements)")
        known.add(rid)
        if reason:
            reasons[rid] = reason
    return Baseline(known, reasons, str(path))
