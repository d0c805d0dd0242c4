"""Findings: what a check says about one requirement, with the evidence a provider's engineer needs.

Checks return findings and never decide whether a broken requirement is a failure or a warning: they say
``fail`` and the results model turns it into ``warn`` for SHOULD/MAY requirements (see results.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS = "pass"
FAIL = "fail"
WARN = "warn"
SKIP = "skip"
UNSUPPORTED = "unsupported"
ERROR = "error"
NOT_RECORDED = "not-recorded"

VERDICTS = (PASS, FAIL, WARN, SKIP, UNSUPPORTED, ERROR, NOT_RECORDED)
# Worst first: the summary of a requirement is its worst finding.
SEVERITY = {FAIL: 6, WARN: 5, ERROR: 4, NOT_RECORDED: 3, UNSUPPORTED: 2, PASS: 1, SKIP: 0}


@dataclass
class Finding:
    requirement: str
    verdict: str
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    test: str = ""
    exchange: int | None = None  # index into Results.exchanges: the exchange the finding was judged on

    def to_json(self) -> dict[str, Any]:
        out = {
            "requirement": self.requirement,
            "verdict": self.verdict,
            "message": self.message,
            "evidence": self.evidence,
            "test": self.test,
        }
        if self.exchange is not None:
            out["exchange"] = self.exchange
        return out


def passed(requirement: str, message: str = "", **evidence: Any) -> Finding:
    return Finding(requirement, PASS, message, evidence)


def failed(requirement: str, message: str, **evidence: Any) -> Finding:
    return Finding(requirement, FAIL, message, evidence)


def skipped(requirement: str, reason: str) -> Finding:
    return Finding(requirement, SKIP, reason)


def unsupported(requirement: str, message: str, **evidence: Any) -> Finding:
    return Finding(requirement, UNSUPPORTED, message, evidence)


def errored(requirement: str, message: str, **evidence: Any) -> Finding:
    return Finding(requirement, ERROR, message, evidence)


def expect(requirement: str, ok: bool, failure_message: str, pass_message: str = "", **evidence: Any) -> Finding:
    """The common case of a check: pass when ``ok``, otherwise fail with a message and evidence."""
    if ok:
        return passed(requirement, pass_message)
    return failed(requirement, failure_message, **evidence)


def short(value: Any, limit: int = 300) -> str:
    """A value as it should appear in a message: JSON-ish and cut to ``limit`` characters."""
    import json

    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
