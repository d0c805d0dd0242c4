"""Deterministic "generation": replies, tokens and log probabilities derived from the prompt by hashing.

No randomness anywhere: the same prompt gives the same reply, streamed or not, on every run. Replies follow the
few instructions the suite's prompts use ("say X", "count from 1 to 10", asking for something long), so tests can
rely on what a real model would near-certainly do.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
from dataclasses import dataclass

WORDS = (
    "the", "quiet", "river", "carries", "light", "across", "a", "valley", "of", "stones", "and", "every",
    "morning", "small", "birds", "sing", "near", "old", "bridge", "while", "clouds", "drift", "over", "green",
    "hills", "toward", "distant", "sea", "where", "ships", "wait", "for", "wind", "to", "turn", "gentle",
    "evening", "brings", "warm", "lamps", "in", "windows", "people", "share", "stories", "bread", "music",
)
LONG_HINTS = re.compile(r"\b(long|essay|story|paragraphs?|detailed|poem|explain|describe|hundred|many)\b", re.I)
QUOTED_SAY = re.compile(
    r"\b(?:say|repeat|reply with|respond with|answer with|output|print|write)\s+(?:exactly\s+|only\s+|just\s+)?"
    r"(?:the\s+(?:word|words|phrase|text)\s+)?:?\s*(['\"“‘`])(.+?)(?:['\"”’`])", re.I | re.S)
PLAIN_SAY = re.compile(r"\b(?:say|repeat|reply with|respond with|answer with)\s+(?:exactly\s+|only\s+|just\s+)?"
                       r"([^.!?\n]+)", re.I)
COUNT = re.compile(r"\bcount\s+(?:from\s+(\d+)\s+)?(?:up\s+)?to\s+(\d+)", re.I)
TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")
NORMAL_WORDS = 24
LONG_WORDS = 160


def tokenize(text: str) -> list[str]:
    """Split text into tokens whose concatenation is the text again (leading spaces belong to the token)."""
    return TOKEN.findall(text) or ([text] if text else [])


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()[:8], "big")


@functools.lru_cache(maxsize=4096)
def reply_text(prompt: str, variant: int = 0) -> str:
    """The reply to a prompt. ``variant`` distinguishes the choices of n > 1 when nothing pins the answer."""
    quoted = QUOTED_SAY.search(prompt)
    if quoted:
        return quoted.group(2)
    count = COUNT.search(prompt)
    if count:
        start, end = int(count.group(1) or 1), int(count.group(2))
        if end - start <= 1000:
            return ", ".join(str(i) for i in range(start, end + 1, 1 if end >= start else -1))
    plain = PLAIN_SAY.search(prompt)
    if plain:
        return plain.group(1).strip()
    return words(prompt, LONG_WORDS if LONG_HINTS.search(prompt) else NORMAL_WORDS, variant)


def words(seed: str, length: int, variant: int = 0) -> str:
    out = random.Random(digest(seed, variant)).choices(WORDS, k=length)  # seeded: the same on every run
    sentences, size = [], 8
    for start in range(0, len(out), size):
        part = out[start:start + size]
        sentences.append(" ".join(part).capitalize() + ".")
    return " ".join(sentences)


def apply_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Cut the text before the first stop sequence; True when one was found."""
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


@dataclass
class Generation:
    tokens: list[str]
    finish_reason: str  # "stop" | "length"

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def generate(text: str, stops: list[str], limit: int | None) -> Generation:
    """The tokens of ``text`` after stop sequences and the token limit: what a model would emit."""
    text, _ = apply_stop(text, stops)
    tokens = tokenize(text)
    if limit is not None and len(tokens) > limit:
        return Generation(tokens[:limit], "length")
    return Generation(tokens, "stop")


def logprob(token: str, rank: int = 0) -> float:
    """A log probability <= 0, lower for lower-ranked alternatives."""
    base = -((digest(token) % 900) / 1000.0) - 0.001
    return round(base - rank * 1.25, 6)


def alternatives(token: str, k: int) -> list[str]:
    """k distinct candidate tokens, the chosen one first."""
    if k <= 0:
        return []
    lead = " " if token.startswith(" ") else ""
    out = [token]
    state = digest("alt", token)
    while len(out) < k:
        state = digest(state)
        candidate = lead + WORDS[state % len(WORDS)]
        if candidate not in out:  # k is at most 20, well below len(WORDS)
            out.append(candidate)
    return out


def token_logprob(token: str, top: int) -> dict:
    """OpenAI's chat logprob entry: token, logprob, bytes, and top_logprobs (the chosen token ranked first)."""
    return {
        "token": token,
        "logprob": logprob(token),
        "bytes": list(token.encode("utf-8")),
        "top_logprobs": [{"token": alt, "logprob": logprob(token, rank), "bytes": list(alt.encode("utf-8"))}
                         for rank, alt in enumerate(alternatives(token, top))],
    }


def embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from the text (equal texts, equal vectors)."""
    values = []
    for i in range(dimensions):
        h = digest(text, i)
        values.append(((h % 20001) - 10000) / 10000.0)
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 8) for v in values]
