"""reports/report.html: one self-contained page a provider's engineer can open or attach to an issue."""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape

from ..findings import VERDICTS
from ..results import Results

COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700", "skip": "#6e7781", "unsupported": "#8250df",
           "error": "#bc4c00", "not-recorded": "#57606a"}
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1f2328}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #d0d7de;
padding:4px 8px;text-align:left;vertical-align:top}code,pre{font:12px ui-monospace,monospace}
pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;margin:4px 0}.v{font-weight:600}
details summary{cursor:pointer}
"""


def render(results: Results) -> str:
    data = results.to_json()
    target = data["target"]
    parts = [f"<!doctype html><meta charset=utf-8><title>oaic report</title><style>{STYLE}</style>",
             "<h1>OpenAI compatibility report</h1>",
             f"<p>{escape(str(target.get('base_url') or target.get('replay') or ''))} — mode {escape(data['mode'])}"
             f", {escape(data['started'])} — oaic {escape(data['suite']['version'])}"
             f"{' — strict' if data['strict'] else ''}</p>",
             "<p>" + " ".join(f"<span class=v style='color:{COLOURS[v]}'>{data['totals'][v]} {v}</span>"
                              for v in VERDICTS if data["totals"][v]) + "</p>",
             f"<p>Spent: {escape(json.dumps(data['spent']))}</p>"]
    by_area = defaultdict(list)
    for item in results.by_requirement():
        by_area[item.requirement.area].append(item)
    for area in sorted(by_area):
        parts.append(f"<h2>{escape(area)}</h2><table><tr><th>requirement</th><th>level</th><th>verdict</th>"
                     "<th>details</th></tr>")
        for item in by_area[area]:
            req = item.requirement
            shown = [f for f in item.findings if f.verdict == item.verdict and (f.message or f.evidence)]
            details = "".join(
                f"<details><summary>{escape(f.message[:300])}</summary><pre>"
                f"{escape(json.dumps(f.evidence, indent=1, ensure_ascii=False, default=str))}\n{escape(f.test)}</pre>"
                f"</details>" for f in shown[:5])
            parts.append(f"<tr><td><code>{escape(req.id)}</code><br>{escape(req.title)}</td><td>{req.level}</td>"
                         f"<td class=v style='color:{COLOURS[item.verdict]}'>{item.verdict}</td>"
                         f"<td>{details}</td></tr>")
        parts.append("</table>")
    return "\n".join(parts) + "\n"
