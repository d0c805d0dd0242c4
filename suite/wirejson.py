"""JSON from the wire, parsed with bounds: a hostile body is "not JSON, because ...", never a suite error.

``json.loads`` alone recurses once per nesting level (a body nested 200,000 levels deep raises RecursionError),
turns ``1e999`` into infinity and refuses integers longer than Python's digit limit with a message about
``sys.set_int_max_str_digits``. RFC 8259 section 9 lets a parser limit depth and number range; these limits are
far beyond anything OpenAI sends (its deepest bodies are under ten levels).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 128  # deep enough for any real body, shallow enough for recursive code (schemas) to walk safely
MAX_INT_DIGITS = 4300  # Python's default int/str conversion limit
# A string token (escapes included) or a bracket: scanning tokens skips brackets inside strings.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


class NotJSON(ValueError):
    """The text is not JSON the suite accepts; the message says why, precisely."""


def nesting_depth(data: bytes | str, stop_at: int = MAX_DEPTH) -> int:
    """Deepest bracket nesting outside strings, counting no further than ``stop_at + 1``."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    opening = data.count(b"[") + data.count(b"{")
    if opening <= stop_at:
        return opening  # never deeper than the number of opening brackets: the common, instant case
    depth = deepest = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJSON(f"number out of range: {text[:40]}{'…' if len(text) > 40 else ''} overflows a double")
    return value


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise NotJSON(f"number out of range: an integer with {digits} digits")
    return int(text)


def loads(data: bytes | str) -> Any:
    """Parse JSON text, raising NotJSON with a precise reason for anything the suite will not hold in memory as
    JSON: invalid UTF-8, nesting deeper than MAX_DEPTH, numbers that overflow, or plain syntax errors."""
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise NotJSON(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJSON(f"not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 4]!r})") from None
        data = data.removeprefix("\ufeff")  # RFC 8259 section 8.1: a parser may ignore a byte order mark
    try:
        return json.loads(data, parse_float=_parse_float, parse_int=_parse_int)
    except NotJSON:
        raise
    except RecursionError:  # a nesting the pre-scan missed cannot crash the caller either
        raise NotJSON(f"nesting deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise NotJSON(str(exc)) from None


def lone_surrogates(value: Any, limit: int = 5) -> list[tuple[str, str]]:
    """(JSON pointer, string) of up to ``limit`` strings (keys included) holding a UTF-16 surrogate on its own.
    ``json.loads`` joins a valid escaped pair into one character, so any surrogate left is unpaired. Walked
    without recursion, so any depth is safe."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(found) < limit:
        pointer, item = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                found.append((pointer or "/", item))
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                here = f"{pointer}/{_escape_pointer(key)}"
                if has_surrogate(key):
                    found.append((here + " (key)", key))
                stack.append((here, child))
        elif isinstance(item, list):
            stack.extend((f"{pointer}/{i}", child) for i, child in reversed(list(enumerate(item))))
    return found[:limit]


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _escape_pointer(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")

