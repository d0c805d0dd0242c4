"""Views over several results.json files: the verdict changes between two runs, and a matrix of providers."""

from __future__ import annotations

from typing import Any

from ..findings import SEVERITY


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {r["requirement"]: r["verdict"] for r in data.get("requirements", [])}


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, bool]:
    """The requirements whose verdict changed; True when something got worse (a regression)."""
    before, after = verdicts(old), verdicts(new)
    lines, worse = [], False
    for requirement in sorted(set(before) | set(after)):
        a, b = before.get(requirement, "(absent)"), after.get(requirement, "(absent)")
        if a == b:
            continue
        got_worse = SEVERITY.get(b, 0) > SEVERITY.get(a, 0) and b in ("fail", "warn", "error")
        worse |= got_worse
        lines.append(f"{'REGRESSED' if got_worse else 'changed  '}  {requirement}: {a} -> {b}")
    if not lines:
        return "no verdict changed\n", False
    return "\n".join(lines) + "\n", worse


def matrix(named: list[tuple[str, dict[str, Any]]]) -> str:
    """A Markdown table: one row per requirement, one column per results file."""
    names = [name for name, _ in named]
    tables = [verdicts(data) for _, data in named]
    requirements = sorted(set().union(*tables)) if tables else []
    lines = ["| requirement | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for requirement in requirements:
        lines.append(f"| `{requirement}` | " + " | ".join(t.get(requirement, "") for t in tables) + " |")
    totals = []
    for table in tables:
        fails = sum(1 for v in table.values() if v == "fail")
        passes = sum(1 for v in table.values() if v == "pass")
        totals.append(f"{passes} pass / {fails} fail")
    lines.append("| **total** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"
