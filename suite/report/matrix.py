"""The provider matrix: requirements x targets from several results.json files, as HTML or Markdown.

Columns are named by the target's name and version; rows are grouped by area, requirements that fail somewhere
first; each area has a score per target (passed / judged, judged = pass + fail + warn).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..findings import FAIL, PASS, SEVERITY, VERDICTS, WARN
from .safe import asset, text

MARKS = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skip": "➖", "unsupported": "🚫", "error": "💥", "not-recorded": "⏺"}
JUDGED = (PASS, FAIL, WARN)


@dataclass
class Column:
    name: str
    version: str  # the target's own version when its results name one
    suite: str  # the oaic version that judged it
    date: str
    verdict: str
    rows: dict[str, dict[str, Any]]  # requirement id -> its entry in results.json "requirements"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()


def columns(named: list[tuple[str, dict[str, Any]]]) -> list[Column]:
    out: list[Column] = []
    seen: dict[str, int] = defaultdict(int)
    for path, data in named:
        target = data.get("target") if isinstance(data.get("target"), dict) else {}
        name = str(target.get("name") or target.get("base_url") or Path(path).parent.name or path)
        version = str(target.get("version") or "")
        seen[f"{name} {version}"] += 1
        if seen[f"{name} {version}"] > 1:  # two runs of the same target: keep the columns apart
            name = f"{name} #{seen[f'{name} {version}']}"
        suite = data.get("suite") if isinstance(data.get("suite"), dict) else {}
        rows = {str(r.get("requirement")): r for r in data.get("requirements", []) if isinstance(r, dict)}
        out.append(Column(name, version, f"oaic {suite.get('version', '?')}", str(data.get("started") or "")[:10],
                          _overall(data), rows))
    return out


def _overall(data: dict[str, Any]) -> str:
    if isinstance(data.get("result"), str):
        return data["result"]
    return "NOT CONFORMANT" if data.get("exit_code") == 1 else "CONFORMANT"


@dataclass
class Row:
    requirement: str
    level: str
    title: str
    verdicts: list[str]  # one per column, "" when the file did not judge it

    @property
    def failing(self) -> int:
        return sum(1 for v in self.verdicts if v in (FAIL, WARN))


def grouped(cols: list[Column]) -> dict[str, list[Row]]:
    """area -> rows, failures first (most failing targets first), then by id."""
    ids: dict[str, dict[str, Any]] = {}
    for col in cols:
        for rid, entry in col.rows.items():
            ids.setdefault(rid, entry)
    areas: dict[str, list[Row]] = defaultdict(list)
    for rid, entry in ids.items():
        verdicts = [str(col.rows.get(rid, {}).get("verdict") or "") for col in cols]
        area = str(entry.get("area") or rid.split(".")[0])
        areas[area].append(Row(rid, str(entry.get("level") or ""), str(entry.get("title") or ""), verdicts))
    for rows in areas.values():
        rows.sort(key=lambda r: (-r.failing, -max((SEVERITY.get(v, 0) for v in r.verdicts), default=0), r.requirement))
    return dict(sorted(areas.items()))


def score(rows: list[Row], column: int) -> tuple[int, int]:
    verdicts = [r.verdicts[column] for r in rows]
    return sum(1 for v in verdicts if v == PASS), sum(1 for v in verdicts if v in JUDGED)


def _score_text(passed: int, judged: int) -> str:
    return f"{passed}/{judged}" if judged else "–"


def _md(value: str) -> str:
    """A table cell: no pipe or line break from a target's name can break the Markdown table."""
    return " ".join(value.replace("|", "/").split())


def markdown(named: list[tuple[str, dict[str, Any]]]) -> str:
    cols = columns(named)
    areas = grouped(cols)
    head = "| requirement | level | " + " | ".join(_md(c.label) for c in cols) + " |"
    rule = "|---|---|" + "---|" * len(cols)
    lines = ["# oaic provider matrix", "",
             "| target | verdict | judged by | date |", "|---|---|---|---|"]
    lines += [f"| {_md(c.label)} | {_md(c.verdict)} | {_md(c.suite)} | {_md(c.date)} |" for c in cols]
    lines += ["", "Score per area: passed / judged (judged = pass + fail + warn).", "",
              "| area | " + " | ".join(_md(c.label) for c in cols) + " |", "|---|" + "---|" * len(cols)]
    for area, rows in areas.items():
        lines.append(f"| {_md(area)} | " + " | ".join(_score_text(*score(rows, i)) for i in range(len(cols))) + " |")
    for area, rows in areas.items():
        lines += ["", f"## {_md(area)}", "", head, rule]
        for row in rows:
            cells = " | ".join(f"{MARKS.get(v, '')} {v}".strip() for v in row.verdicts)
            lines.append(f"| `{_md(row.requirement)}` | {_md(row.level)} | {cells} |")
    every = [r for rows in areas.values() for r in rows]
    lines += ["", "Totals: " + ", ".join(f"{_md(c.label)}: {_score_text(*score(every, i))} passed"
                                         for i, c in enumerate(cols))]
    return "\n".join(lines) + "\n"


def html(named: list[tuple[str, dict[str, Any]]]) -> str:
    cols = columns(named)
    areas = grouped(cols)
    width = len(cols)
    every = [r for rows in areas.values() for r in rows]
    heads = "".join(f"<th scope=col class=target><span class=name>{text(c.label)}</span>"
                    f"<span class='overall {_css(c.verdict)}'>{text(c.verdict)}</span>"
                    f"<span class=total>{_score_text(*score(every, i))} passed</span>"
                    f"<span class=ver>{text(c.suite)} · {text(c.date)}</span></th>" for i, c in enumerate(cols))
    body = []
    for area, rows in areas.items():
        scores = "".join(f"<td class=score>{_score_text(*score(rows, i))}</td>" for i in range(width))
        body.append(f"<tbody class=area data-area='{text(area)}'><tr class=areahead id='area-{text(area)}'>"
                    f"<th scope=rowgroup colspan=2>{text(area)}</th>{scores}</tr>")
        for row in rows:
            cells = "".join(
                f"<td class='cell v-{text(v or 'none')}' title='{text(c.label)}: {text(v or 'not in this run')}"
                f"{_message(c, row.requirement)}'>{text(v)}</td>" for c, v in zip(cols, row.verdicts))
            differs = len(set(row.verdicts)) > 1
            body.append(f"<tr class=req id='req-{text(row.requirement)}' data-failing='{row.failing}' "
                        f"data-differs='{int(differs)}' data-text='{text((row.requirement + ' ' + row.title).lower())}'>"
                        f"<th scope=row><code>{text(row.requirement)}</code><span class=title>{text(row.title)}</span>"
                        f"</th><td class=lvl>{text(row.level)}</td>{cells}</tr>")
        body.append("</tbody>")
    legend = " ".join(f"<span class='cell v-{v}'>{v}</span>" for v in VERDICTS)
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'><title>oaic provider matrix</title>"
            f"<style>{asset('matrix.css')}</style></head><body><header><h1>OpenAI compatibility matrix</h1>"
            f"<p class=muted>{len(cols)} target(s); score per area = passed / judged (pass + fail + warn). "
            "Requirements failing somewhere come first in each area.</p>"
            f"<p class=legend>{legend}</p>"
            "<nav class=toolbar><input type=search id=q placeholder='Search requirements…' aria-label=search>"
            "<label><input type=checkbox id=failing> only failing somewhere</label>"
            "<label><input type=checkbox id=differs> only where targets differ</label></nav></header>"
            f"<main class=scroll><table class=matrix><thead><tr><th scope=col>requirement</th><th scope=col>level</th>"
            f"{heads}</tr></thead>{''.join(body)}</table></main>"
            f"<script>{asset('matrix.js')}</script></body></html>\n")


def _message(col: Column, requirement: str) -> str:
    message = str(col.rows.get(requirement, {}).get("message") or "")
    return f" — {text(message[:300])}" if message else ""


def _css(verdict: str) -> str:
    return {"CONFORMANT": "ok", "INCOMPLETE": "incomplete"}.get(verdict, "bad")
