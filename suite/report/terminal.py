"""The terminal summary: counts per verdict and per area, then every failed requirement with its evidence."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import TextIO

from ..findings import ERROR, FAIL, NOT_RECORDED, PASS, SKIP, UNSUPPORTED, VERDICTS, WARN
from ..results import Results
from .display import safe_display

SHOWN = (FAIL, WARN, ERROR, NOT_RECORDED, UNSUPPORTED)


def render(results: Results, verbose: bool = False, secrets: list[str] | None = None) -> str:
    """Everything that may quote the server is shown through safe_display: escaped, cut, and scrubbed."""
    secrets = secrets or []
    lines: list[str] = []
    target = results.target or {}
    where = target.get("base_url") or target.get("replay") or ""
    lines.append(f"oaic {results.mode} — {safe_display(where, 200, secrets)}".rstrip(" —"))
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
                lines.append(f"      {safe_display(finding.message, 1000, secrets)}")
                if finding.evidence:
                    lines.append(f"      evidence: {_evidence(finding.evidence, secrets)}")
                if finding.test:
                    lines.append(f"      test: {safe_display(finding.test, 300, secrets)}")
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
        if spent.get("stalls"):
            lines.append(f"stalls: {spent['stalls']} response(s) stopped sending; after the first, the suite waited "
                         f"{spent.get('stall_deadline_s')}s for the next byte instead of --timeout")
        per_file = spent.get("requests_by_scenario") or {}
        if per_file:
            lines.append("requests by scenario: " + ", ".join(f"{name} {count}" for name, count in per_file.items()))
    for note in results.notes:
        lines.append(f"note: {safe_display(note, 1000, secrets)}")
    for error in results.suite_errors:
        lines.append(f"suite error: {safe_display(error, 1000, secrets)}")
    outcome = results.baseline_outcome()
    if outcome is not None:
        lines.append(f"baseline {outcome.source}: {len(outcome.known)} known, {len(outcome.new)} new, "
                     f"{len(outcome.stale)} stale")
        for label, ids in (("known failure (does not fail the run)", outcome.known),
                           ("NEW failure", outcome.new), ("stale baseline entry (now passes)", outcome.stale)):
            for rid in ids:
                reason = outcome.reasons.get(rid)
                lines.append(f"  {label}: {rid}" + (f" ({safe_display(reason, 300, secrets)})" if reason else ""))
    judged, supported = results.judged_count()
    lines.append(f"judged: {judged} of the {supported} requirements the target supports")
    code = results.exit_code()
    lines.append(f"result: {results.overall()}{' (interrupted)' if results.interrupted else ''} (exit {code}"
                 f"{', strict' if results.strict else ''})")
    return "\n".join(lines) + "\n"


def _evidence(evidence: dict, secrets: list[str]) -> str:
    return safe_display(json.dumps(evidence, ensure_ascii=False, default=str), 400, secrets)


def write(results: Results, stream: TextIO, verbose: bool = False, secrets: list[str] | None = None) -> None:
    stream.write(render(results, verbose, secrets))
    stream.flush()


__all__ = ["render", "write", "PASS", "SKIP"]
