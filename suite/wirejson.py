"""JSON from the wire, parsed with bounds: a hostile body is "not JSON, because ...", never a suite error.

``json.loads`` alone recurses once per nesting level (a body nested 200,000 levels deep raises RecursionError),
turns ``1e999`` into infinity and refuses integers longer than Python's digit limit with a message about
``sys.set_int_max_str_digits``. RFC 8259 section 9 lets a parser limit depth and number range; these limits are
far beyond anything OpenAI sends (its deepest bodies are under ten levels).
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import re
from typing import Any

MAX_DEPTH = 128  # deep enough for any real body, shallow enough for recursive code (schemas) to walk safely
MAX_INT_DIGITS = 4300  # Python's default int/str conversion limit
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_SAME_BRACKETS = bytes.maketrans(b"{}", b"[]")
_STEPS = bytes.maketrans(b"[]", b"\x02\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class NotJSON(ValueError):
    """The text is not JSON the suite accepts; the message says why, precisely."""


def too_deep(data: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit``, found without recursion in about a second
    for the largest body the transport keeps: strings dropped, brackets kept, a few innermost levels removed
    (usually all there are), then the deepest running count of what is left."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # never deeper than the number of opening brackets: the common, instant case
    skeleton = _STRING.sub(b"", data).translate(_SAME_BRACKETS, _NOT_BRACKETS)
    removed = 0
    while skeleton and removed < 4:
        skeleton, removed = skeleton.replace(b"[]", b""), removed + 1
    # Opening brackets count 2 and closing ones 0, so the running sum minus the position is the depth there.
    steps = skeleton.translate(_STEPS)
    return removed + max(map(operator.sub, itertools.accumulate(steps), itertools.count(1)), default=0) > limit


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
    if too_deep(data):
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

