"""Putting server text into HTML safely: everything a server sent may be hostile (markup, lone surrogates,
control characters), so every string is cleaned and escaped, and data for scripts is embedded as JSON that
cannot close its <script> element."""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: Any) -> str:
    """Escaped text for an element or an attribute: no markup, no lone surrogates, no control characters."""
    s = value if isinstance(value, str) else str(value)
    s = s.encode("utf-8", "replace").decode("utf-8")
    return escape(_CONTROL.sub("\N{REPLACEMENT CHARACTER}", s), quote=True)


def script_json(data: Any) -> str:
    """JSON to place inside <script type="application/json">: ASCII only (so U+2028/2029 and lone surrogates
    are escapes), and <, > and & escaped so no '</script>' or '<!--' can appear."""
    raw = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def pretty(value: Any) -> str:
    """A JSON value pretty-printed for a <pre> (escaped)."""
    return text(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def link(url: str, label: str | None = None) -> str:
    """A link only for http(s) URLs (never javascript: or data:); other references stay plain text."""
    if re.match(r"^https?://", url or ""):
        return f'<a href="{text(url)}" rel="noreferrer noopener" target="_blank">{text(label or url)}</a>'
    return text(label or url)


COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700", "skip": "#6e7781", "unsupported": "#8250df",
           "error": "#bc4c00", "not-recorded": "#57606a"}
