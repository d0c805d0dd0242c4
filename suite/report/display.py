"""Text from the wire, made safe to show: the one place that decides how a server's strings reach a human.

A server under test controls much of what a report says (messages quote its values). Shown raw, its strings
could drive the terminal (ESC sequences, BEL), reorder what a reader sees (bidirectional overrides), make
junit.xml invalid XML (NUL and most other C0 controls are forbidden in XML 1.0), fail to encode at all (a lone
UTF-16 surrogate) or bury the report (a 16 MiB string). Such characters are shown as Python-style escapes, and
long text is cut with its full length stated. results.json keeps the strings faithfully instead (JSON escapes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..scrub import scrub_text

# C0 and C1 controls and DEL; bidirectional marks, embeddings, overrides and isolates; line and paragraph
# separators; lone surrogates; the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")
_UNSAFE_KEEPING_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                      "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
DEFAULT_LIMIT = 500


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_display(text: object, limit: int = DEFAULT_LIMIT, secrets: Iterable[str] = (),
                 newlines: bool = False) -> str:
    """``text`` with secrets scrubbed, unsafe characters escaped (newlines kept when ``newlines``), and cut to
    ``limit`` characters followed by "… (N chars)" when longer. Scrubbing comes first so that a cut never
    leaves part of a secret behind."""
    text = scrub_text(text if isinstance(text, str) else str(text), secrets)
    shown = text if len(text) <= limit else text[:limit]
    shown = (_UNSAFE_KEEPING_NEWLINES if newlines else _UNSAFE).sub(_escape, shown)
    if len(text) > limit:
        shown += f"… ({len(text)} chars)"
    return shown


def encodable(text: str) -> bytes:
    """UTF-8 bytes of any report text: a lone surrogate that got this far becomes its escape ``\\udc80``, which
    is also the JSON escape of that code point, so results.json stays both valid UTF-8 and faithful."""
    return text.encode("utf-8", "backslashreplace")
