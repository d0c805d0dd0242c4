"""Views over several results.json files: the verdict changes between two runs, and a matrix of providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..findings import SEVERITY
from . import matrix as matrix_module
from .safe import asset, text

BAD = ("fail", "warn", "error")


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {r["requirement"]: r["verdict"] for r in data.get("requirements", [])}


@dataclass
class Change:
    requirement: str
    before: str
    after: str
    kind: str  # regression | fix | change


@dataclass
class Diff:
    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def worse(self) -> bool:
        return self.count("regression") > 0


def compute_diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Each requirement whose verdict changed: a regression when it got worse into fail/warn/error, a fix when it
    got better out of one of them, else a change (e.g. skip -> pass)."""
    before, after = verdicts(old), verdicts(new)
    out = Diff(old, new)
    for requirement in sorted(set(before) | set(after)):
        a, b = before.get(requirement, "(absent)"), after.get(requirement, "(absent)")
        if a == b:
            out.unchanged += 1
            continue
        if SEVERITY.get(b, 0) > SEVERITY.get(a, 0) and b in BAD:
            kind = "regression"
        elif a in BAD and SEVERITY.get(b, 0) < SEVERITY.get(a, 0):
            kind = "fix"
        else:
            kind = "change"
        out.changes.append(Change(requirement, a, b, kind))
    out.changes.sort(key=lambda c: (("regression", "fix", "change").index(c.kind), c.requirement))
    return out


def _describe(data: dict[str, Any]) -> str:
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    name = target.get("name") or target.get("base_url") or "?"
    version = f" {target['version']}" if target.get("version") else ""
    return f"{name}{version} ({data.get('started') or 'no date'}, {data.get('mode', '?')})"


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, bool]:
    """The text report of a diff; True when something got worse (a regression)."""
    d = compute_diff(old, new)
    lines = [f"old: {_describe(old)}", f"new: {_describe(new)}",
             f"{d.count('regression')} regression(s), {d.count('fix')} fix(es), {d.count('change')} other change(s), "
             f"{d.unchanged} unchanged"]
    labels = {"regression": "REGRESSED", "fix": "fixed    ", "change": "changed  "}
    lines += [f"{labels[c.kind]}  {c.requirement}: {c.before} -> {c.after}" for c in d.changes]
    if not d.changes:
        lines.append("no verdict changed")
    return "\n".join(lines) + "\n", d.worse


def diff_html(old: dict[str, Any], new: dict[str, Any]) -> str:
    d = compute_diff(old, new)
    rows = "".join(f"<tr class={c.kind}><td>{c.kind}</td><td><code>{text(c.requirement)}</code></td>"
                   f"<td class='cell v-{text(c.before)}'>{text(c.before)}</td>"
                   f"<td class='cell v-{text(c.after)}'>{text(c.after)}</td></tr>" for c in d.changes)
    verdict = "REGRESSED" if d.worse else "no regression"
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'><title>oaic diff</title>"
            f"<style>{asset('matrix.css')}tr.regression td:first-child{{color:#a40e26;font-weight:700}}"
            "tr.fix td:first-child{color:#116329;font-weight:700}</style></head><body><header>"
            f"<h1>oaic diff: {text(verdict)}</h1><p>old: {text(_describe(old))}</p><p>new: {text(_describe(new))}</p>"
            f"<p><b>{d.count('regression')}</b> regression(s), <b>{d.count('fix')}</b> fix(es), "
            f"{d.count('change')} other change(s), {d.unchanged} unchanged</p></header><main class=scroll>"
            "<table class=matrix><thead><tr><th>kind</th><th>requirement</th><th>old</th><th>new</th></tr></thead>"
            f"<tbody>{rows or '<tr><td colspan=4>no verdict changed</td></tr>'}</tbody></table></main></body></html>\n")


def matrix(named: list[tuple[str, dict[str, Any]]]) -> str:
    """The Markdown matrix (see matrix.py)."""
    return matrix_module.markdown(named)


def write_matrix(named: list[tuple[str, dict[str, Any]]], output: str | None, stdout: TextIO) -> None:
    """Markdown to stdout without an output file or with a .md one; HTML otherwise."""
    if not output:
        stdout.write(matrix_module.markdown(named))
        return
    write_page(output, matrix_module.markdown(named) if output.endswith(".md") else matrix_module.html(named))


def write_page(output: str, page: str) -> None:
    try:
        Path(output).write_text(page, encoding="utf-8")
    except OSError as exc:
        from ..errors import UsageError

        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
