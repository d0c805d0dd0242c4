"""Which tools a deterministic "model" calls, and with which arguments (shared by chat and the Responses API).

A tool is called when the prompt mentions it (a word of its name or description, or the words tool/function),
or when the request forces it. With parallel calls allowed, every mentioned tool is called once, and a single
tool is called once per place or name the prompt lists ("Paris and Tokyo"), as a real model does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .instances import instance
from .text import digest

GENERIC = re.compile(r"\b(tools?|functions?|call)\b", re.I)
WORD = re.compile(r"[a-z]{4,}")
NAME = re.compile(r"\b[A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*")
MAX_FAN_OUT = 4


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict


@dataclass(frozen=True)
class PlannedCall:
    call_id: str
    name: str
    arguments: str  # a JSON string, as OpenAI sends it


def plan(tools: list[Tool], choice: Any, parallel: bool, prompt: str, salt: str) -> list[PlannedCall]:
    """The calls to make. ``choice`` is "auto", "required", or the name of a forced tool."""
    if not tools or choice == "none":
        return []
    if choice not in ("auto", "required"):
        chosen = [t for t in tools if t.name == choice]
    else:
        chosen = [t for t in tools if _mentioned(t, prompt)]
        if not chosen and (choice == "required" or GENERIC.search(prompt)):
            chosen = list(tools)
    if not chosen:
        return []
    if not parallel or choice not in ("auto", "required"):
        chosen = chosen[:1]
    names = _proper_names(prompt)
    if parallel and len(chosen) == 1 and len(names) > 1 and choice in ("auto", "required"):
        calls = [(chosen[0], name) for name in names[:MAX_FAN_OUT]]  # one call per place or name listed
    else:
        calls = [(tool, names[0] if names else "") for tool in chosen]
    return [PlannedCall(call_id(salt, i), tool.name,
                        json.dumps(instance(tool.parameters or {"type": "object"}, hint), separators=(",", ":")))
            for i, (tool, hint) in enumerate(calls)]


def call_id(salt: str, index: int) -> str:
    return "call_" + _base62(digest("call", salt, index), 24)


def _mentioned(tool: Tool, prompt: str) -> bool:
    lowered = prompt.lower()
    words = set(WORD.findall(tool.name.lower().replace("_", " ").replace("-", " ")))
    words |= set(WORD.findall(tool.description.lower())) - {"this", "that", "with", "from", "given", "which",
                                                            "return", "returns", "current", "value"}
    return tool.name.lower() in lowered or any(re.search(rf"\b{w}", lowered) for w in words)


def _proper_names(prompt: str) -> list[str]:
    """Capitalised words and phrases that do not start a sentence: the places and names a prompt lists."""
    names: list[str] = []
    for match in NAME.finditer(prompt):
        before = prompt[:match.start()].rstrip()
        if not before or before[-1] in ".!?:\n\"'":
            words = match.group(0).split()[1:]  # the sentence's first word is capitalised anyway
            phrase = " ".join(words)
        else:
            phrase = match.group(0)
        if phrase and phrase not in ("I", "JSON") and phrase not in names:
            names.append(phrase)
    return names


def _base62(number: int, length: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = []
    while len(out) < length:
        number, rest = divmod(number, 62)
        out.append(alphabet[rest])
        if number == 0:
            number = digest(number, len(out))
    return "".join(out)
