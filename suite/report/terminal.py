"""The terminal summary: counts per verdict and per area, then every failed requirement with its evidence."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import TextIO

from ..findings import ERROR, FAIL, NOT_RECORDED, PASS, SKIP, UNSUPPORTED, VERDICTS, WARN
from ..results import Results

SHOWN = (FAIL, WARN, ERROR, NOT_RECORDED, UNSUPPORTED)


def render(results: Results, verbose: bool = False) -> str:
    lines: list[str] = []
    target = results.target or {}
    where = target.get("base_url") or target.get("replay") or ""
    lines.append(f"oaic {results.mode} — {where}".rstrip(" —"))
    by_area: dict[str, Counter] = defaultdict(Counter)
    items = results.by_requirement()
    for item in items:
        by_area[item.requirement.area][item.verdict] += 1
    width = max([len(a) for a in by_area] + [4])
    header = "  " + "area".ljust(width) + "".join(v.rjust(13) for v in VERDICTS)
    lines.append(header)
    for area in sorted(by_area):
        lines.append("  " + area.ljust(width) + "".join(str(by_area[area][v]).rjust(13) for v in VERDICTS))
    for verdict in SHOWN:
        chosen = [i for i in items if i.verdict == verdict]
        if not chosen or (verdict == UNSUPPORTED and not verbose and len(chosen) > 20):
            continue
        lines.append("")
        lines.append(f"{verdict.upper()} ({len(chosen)})")
        for item in chosen:
            req = item.requirement
            lines.append(f"  {req.id} [{req.level}] {req.title}")
            shown = [f for f in item.findings if f.verdict == verdict][: (5 if verbose else 2)]
            for finding in shown:
                lines.append(f"      {finding.message}")
                if finding.evidence:
                    lines.append(f"      evidence: {_evidence(finding.evidence)}")
                if finding.test:
                    lines.append(f"      test: {finding.test}")
            extra = sum(1 for f in item.findings if f.verdict == verdict) - len(shown)
            if extra > 0:
                lines.append(f"      (+{extra} more in results.json)")
    totals = results.totals()
    spent = results.spent
    lines.append("")
    lines.append("requirements: " + ", ".join(f"{totals[v]} {v}" for v in VERDICTS if totals[v]))
    if spent:
        lines.append(f"spent: {spent.get('requests', 0)} requests ({spent.get('retries', 0)} retries), "
                     f"{spent.get('total_tokens', 0)} tokens")
        per_file = spent.get("requests_by_scenario") or {}
        if per_file:
            lines.append("requests by scenario: " + ", ".join(f"{name} {count}" for name, count in per_file.items()))
    for note in results.notes:
        lines.append(f"note: {note}")
    outcome = results.baseline_outcome()
    if outcome is not None:
        lines.append(f"baseline {outcome.source}: {len(outcome.known)} known, {len(outcome.new)} new, "
                     f"{len(outcome.stale)} stale")
        for label, ids in (("known failure (does not fail the run)", outcome.known),
                           ("NEW failure", outcome.new), ("stale baseline entry (now passes)", outcome.stale)):
            for rid in ids:
                reason = outcome.reasons.get(rid)
                lines.append(f"  {label}: {rid}" + (f" ({reason})" if reason else ""))
    code = results.exit_code()
    lines.append(f"result: {results.overall()} (exit {code}{', strict' if results.strict else ''})")
    # Server text may hold lone surrogates, which no terminal encoding accepts: show them as "?".
    return ("\n".join(lines) + "\n").encode("utf-8", "replace").decode("utf-8")


def _evidence(evidence: dict) -> str:
    text = json.dumps(evidence, ensure_ascii=False, default=str)
    return text if len(text) <= 400 else text[:399] + "…"


def write(results: Results, stream: TextIO, verbose: bool = False) -> None:
    stream.write(render(results, verbose))
    stream.flush()


__all__ = ["render", "write", "PASS", "SKIP"]
