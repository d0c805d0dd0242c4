"""reports/report.html: one self-contained page a provider's engineer can open or attach to an issue.

It opens with the overall verdict, the target and its capability profile, then the failures, then every
requirement by area. Each finding shows what OpenAI does, where that is documented, the message, the evidence,
and a button opening the exchange it was judged on (request and response as sent and received). Everything is
rendered here with escaping; the page's script only filters, and builds the exchange viewer with textContent
from data embedded as JSON. No network asset is loaded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..capabilities import CAPABILITIES
from ..findings import ERROR, FAIL, NOT_RECORDED, PASS, SEVERITY, VERDICTS, WARN, Finding
from ..results import CONFORMANT, INCOMPLETE, RequirementResult, Results
from .charts import timing_strips
from .safe import asset, pretty, script_json, text

ATTENTION = (FAIL, WARN, ERROR, NOT_RECORDED)  # shown first, open
OPEN_FIRST = 3  # failure cards open on load; the others show their message in one line
FINDINGS_SHOWN = 12  # per requirement; the rest are in results.json
HIGHLIGHT_KEYS = ("event", "chunk", "event_index", "chunk_index")  # evidence keys naming the offending event
SPENT_LABELS = (("requests", "requests sent"), ("retries", "retries"), ("prompt_tokens", "prompt tokens"),
                ("completion_tokens", "completion tokens"), ("total_tokens", "total tokens"),
                ("budget_refusals", "requests refused by the budget"))
EVENT_IN_MESSAGE = re.compile(r"\b(?:event|chunk) #(\d{1,6})\b")
VERDICT_CLASS = {CONFORMANT: "ok", INCOMPLETE: "incomplete"}


def render(results: Results) -> str:
    items = results.by_requirement()
    outcome = results.baseline_outcome()
    known = set(outcome.known) if outcome else set()
    attention = sorted((i for i in items if i.verdict in ATTENTION),
                       key=lambda i: (-SEVERITY[i.verdict], i.requirement.id in known, i.requirement.area))
    rest: dict[str, list[RequirementResult]] = defaultdict(list)
    for item in items:
        if item.verdict not in ATTENTION:
            rest[item.requirement.area].append(item)
    body = [
        _header(results, items, outcome),
        _toolbar(results, items),
        "<main>",
        _group("failures", f"Needs attention ({len(attention)})", attention, known, open_=OPEN_FIRST,
               empty="Nothing failed, warned or went unjudged."),
        _overview(results, items),
    ]
    for area in sorted(rest):
        body.append(_group(f"area-{area}", f"{area}", rest[area], known, open_=0))
    body.append("<p id=nomatch hidden class=muted>No requirement matches the filters.</p></main>")
    data = {"exchanges": results.exchanges}
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>oaic: {text(results.overall())} — {text(_target_name(results.target))}</title>"
            f"<style>{asset('report.css')}</style></head><body>"
            + "\n".join(body)
            + f"<script type='application/json' id=oaic-data>{script_json(data)}</script>"
            f"<script>{asset('report.js')}</script></body></html>\n")


def _target_name(target: dict[str, Any]) -> str:
    return str(target.get("name") or target.get("base_url") or target.get("replay") or "target")


def _header(results: Results, items: list[RequirementResult], outcome: Any) -> str:
    word = results.overall()
    totals = results.totals()
    target = results.target or {}
    failing_must = sum(1 for i in items if i.verdict == FAIL)
    if word == CONFORMANT:
        why = "no MUST requirement failed" + (" and no SHOULD either (strict)" if results.strict else "")
    elif word == INCOMPLETE:
        why = (f"{totals[ERROR]} requirement(s) could not be judged, {totals[NOT_RECORDED]} not recorded"
               + ("; the run was interrupted" if getattr(results, "interrupted", False) else "")
               + (f"; stopped early: {results.stopped_early}" if getattr(results, "stopped_early", None) else ""))
    else:
        why = f"{failing_must} MUST requirement(s) failed" + (
            f", {totals[WARN]} SHOULD (strict)" if results.strict and totals[WARN] else "")
    if outcome is not None and outcome.known:
        why += f"; {len(outcome.known)} known failure(s) from the baseline do not count"
    counts = " ".join(f"<a class='count v-{v}' href='#' data-verdict='{v}'>{totals[v]} {v}</a>"
                      for v in VERDICTS if totals[v])
    models = "".join(f"<li><span class=muted>{text(area)}</span> <code>{text(model)}</code></li>"
                     for area, model in (target.get("models") or {}).items())
    where = target.get("base_url") or ""
    mode = results.mode + (f" of {target['replay']}" if target.get("replay") else "")
    version = (results.target or {}).get("version")
    return f"""<header>
<div class="verdict {VERDICT_CLASS.get(word, 'bad')}" id=verdict><div class=word>{text(word)}</div>
<div class=why>{text(why)}</div><div class=counts>{counts}</div></div>
<section class=target aria-label=target><h1>{text(_target_name(target))}{f' <span class=muted>{text(version)}</span>'
    if version else ''}</h1>
<p><code>{text(where)}</code></p><ul class=models>{models}</ul>
<p class=muted>{text(mode)} · {text(results.started)} · {results.duration:.1f} s · oaic {text(_suite_version())}
{' · strict' if results.strict else ''}</p></section>
<section class=profile aria-label="capability profile"><h2>Capability profile</h2>{_profile(results)}</section>
{_baseline(outcome)}
</header>"""


def _suite_version() -> str:
    from .. import __version__

    return __version__


def _profile(results: Results) -> str:
    """The capabilities the target claims; with a profile (capability -> status), each with its status."""
    target = results.target or {}
    profile = target.get("profile") if isinstance(target.get("profile"), dict) else None
    if profile:
        chips = [f"<li class='cap s-{text(status)}' title='{text(CAPABILITIES.get(name, ''))}'>"
                 f"{text(name)} <small>{text(status)}</small></li>" for name, status in sorted(profile.items())]
        return f"<ul class=caps>{''.join(chips)}</ul>"
    claimed = set(target.get("capabilities") or [])
    chips = [f"<li class='cap {'on' if name in claimed else 'off'}' title='{text(description)} "
             f"({'claimed' if name in claimed else 'not claimed'})'>{text(name)}</li>"
             for name, description in CAPABILITIES.items()]
    chips += [f"<li class='cap on'>{text(name)}</li>" for name in sorted(claimed - set(CAPABILITIES))]
    note = "<p class=muted>Dashed: not claimed (its requirements are skipped).</p>" if set(CAPABILITIES) - claimed else ""
    return f"<ul class=caps>{''.join(chips)}</ul>{note}"


def _baseline(outcome: Any) -> str:
    if outcome is None:
        return ""
    def ids(values: list[str]) -> str:
        return ", ".join(f"<a href='#req-{text(r)}'><code>{text(r)}</code></a>" for r in values) or "none"
    return (f"<section class=baseline aria-label=baseline><h2>Baseline <span class=muted>{text(outcome.source)}"
            f"</span></h2><p><b>{len(outcome.new)} new</b> failure(s): {ids(outcome.new)}</p>"
            f"<p>{len(outcome.known)} known (do not fail the run): {ids(outcome.known)}</p>"
            f"<p>{len(outcome.stale)} stale (listed, now pass: drop them from the baseline): {ids(outcome.stale)}"
            "</p></section>")


def _toolbar(results: Results, items: list[RequirementResult]) -> str:
    areas = sorted({i.requirement.area for i in items})
    verdicts = "".join(f"<label class='chip v-{v}'><input type=checkbox name=verdict value='{v}' checked> {v}"
                       "</label>" for v in VERDICTS)
    area_options = "".join(f"<option value='{text(a)}'>{text(a)}</option>" for a in areas)
    return f"""<nav class=toolbar aria-label=filters>
<input type=search id=q placeholder="Search id, title, message…" aria-label="search requirements">
<select id=area aria-label=area><option value=''>all areas</option>{area_options}</select>
<select id=level aria-label=level><option value=''>all levels</option><option>MUST</option><option>SHOULD</option>
<option>MAY</option></select>
<span class=verdicts>{verdicts}</span> <span id=shown class=muted></span></nav>"""


def _group(anchor: str, title: str, items: list[RequirementResult], known: set[str], open_: int,
           empty: str = "") -> str:
    judged = sum(1 for i in items if i.verdict in (PASS, FAIL, WARN))
    passed = sum(1 for i in items if i.verdict == PASS)
    score = f" <span class=score>{passed}/{judged} passed</span>" if anchor.startswith("area-") and judged else ""
    cards = "".join(_card(item, known, index < open_) for index, item in enumerate(items))
    if not items:
        cards = f"<p class=muted>{text(empty)}</p>"
    return f"<section class=group id='{text(anchor)}'><h2>{text(title)}{score}</h2>{cards}</section>"


def _card(item: RequirementResult, known: set[str], open_: bool) -> str:
    req = item.requirement
    shown = [f for f in item.findings if f.verdict == item.verdict][:FINDINGS_SHOWN]
    others = [f for f in item.findings if f.verdict != item.verdict]
    search = " ".join([req.id, req.title, req.area] + [f.message for f in shown]).lower()
    badge = "<span class=known title='listed in the baseline'>known</span>" if req.id in known else ""
    findings = "".join(_finding(f) for f in shown)
    more = len([f for f in item.findings if f.verdict == item.verdict]) - len(shown)
    if more > 0:
        findings += f"<p class=muted>+{more} more finding(s) in results.json</p>"
    if others:
        summary = ", ".join(f"{n} {v}" for v, n in sorted(_count(others).items()))
        findings += f"<details class=others><summary>other findings: {text(summary)}</summary>" + "".join(
            _finding(f) for f in others[:FINDINGS_SHOWN]) + "</details>"
    return f"""<details class="req v-{item.verdict}" id="req-{text(req.id)}" data-verdict="{item.verdict}" \
data-area="{text(req.area)}" data-level="{req.level}" data-text="{text(search)}"{' open' if open_ else ''}>
<summary><span class="badge v-{item.verdict}">{item.verdict}</span>{badge} <code class=rid>{text(req.id)}</code> \
<span class=lvl>{req.level}</span> <span class=title>{text(req.title)}</span>\
<span class=msg>{text(item.message[:240])}</span></summary>
<div class=body><dl class=spec><dt>What OpenAI does</dt><dd>{text(req.openai)}</dd>
<dt>Documented in</dt><dd>{text(req.reference)}</dd><dt>Capability</dt><dd>{text(req.capability)}</dd></dl>
{findings}<p class=anchor><a href="#req-{text(req.id)}">link to this requirement</a></p></div></details>"""


def _count(findings: list[Finding]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in findings:
        out[f.verdict] += 1
    return out


def _finding(finding: Finding) -> str:
    evidence = f"<pre class=evidence>{pretty(finding.evidence)}</pre>" if finding.evidence else ""
    button = ""
    if finding.exchange is not None:
        highlight = offending_event(finding)
        button = (f"<button type=button class=show-ex data-ex='{int(finding.exchange)}'"
                  + (f" data-hl='{int(highlight)}'" if highlight is not None else "")
                  + ">Show the exchange</button>")
    test = f"<p class=test>test <code>{text(finding.test)}</code></p>" if finding.test else ""
    return (f"<div class='finding v-{finding.verdict}'><p class=message>{text(finding.message)}</p>{evidence}"
            f"{test}{button}<div class=exchange hidden></div></div>")


def offending_event(finding: Finding) -> int | None:
    """The index of the SSE event a finding blames: an evidence field, else "event #N" in its message."""
    for key in HIGHLIGHT_KEYS:
        value = finding.evidence.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    match = EVENT_IN_MESSAGE.search(finding.message)
    return int(match.group(1)) if match else None


def _overview(results: Results, items: list[RequirementResult]) -> str:
    by_area: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        by_area[item.requirement.area][item.verdict] += 1
    rows = []
    for area in sorted(by_area):
        counts = by_area[area]
        judged = counts[PASS] + counts[FAIL] + counts[WARN]
        score = f"{counts[PASS]}/{judged}" if judged else "–"
        cells = "".join(f"<td class='n v-{v}'>{counts[v] or ''}</td>" for v in VERDICTS)
        rows.append(f"<tr><th scope=row><a href='#area-{text(area)}'>{text(area)}</a></th><td>{score}</td>{cells}</tr>")
    head = "".join(f"<th class=n>{v}</th>" for v in VERDICTS)
    spent = results.spent or {}
    spent_rows = "".join(f"<tr><th scope=row>{label}</th><td class=n>{int(spent.get(key) or 0)}</td></tr>"
                         for key, label in SPENT_LABELS if key in spent)
    per_file = spent.get("requests_by_scenario") or {}
    if isinstance(per_file, dict) and per_file:
        spent_rows += "<tr><th scope=row>requests by scenario</th><td>" + ", ".join(
            f"{text(k)}&nbsp;{text(v)}" for k, v in per_file.items()) + "</td></tr>"
    notes = "".join(f"<li>{text(n)}</li>" for n in results.notes)
    return f"""<section class="group overview" id=overview><h2>Overview</h2>
<div class=scroll><table class=areas><thead><tr><th>area</th><th>score</th>{head}</tr></thead>
<tbody>{''.join(rows)}</tbody></table></div>
<div class=cols><div><h3>Spent</h3><table class=spent>{spent_rows or '<tr><td>nothing recorded</td></tr>'}</table></div>
<div><h3>Timings</h3>{timing_strips(dict(results.metrics))}</div></div>
{f'<h3>Notes</h3><ul>{notes}</ul>' if notes else ''}</section>"""


__all__ = ["render"]
