"""What the property phase sends and what came back, as plain data the checks can judge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..exchange import Exchange
from ..findings import short

POSITIVE = "positive"
NEGATIVE = "negative"


class NotApplicable(Exception):
    """This operation cannot be exercised here: the document or the target lacks what it needs."""


@dataclass(frozen=True)
class PlannedRequest:
    operation_id: str
    mode: str  # positive | negative
    method: str
    path: str  # path parameters filled in, no query string
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # JSON body
    raw_body: bytes | None = None  # a body that is not JSON (negative mode)
    note: str = ""  # what this case is, e.g. "missing required 'messages'" or why it is invalid
    expect_success: bool = False  # positive mode: a conformant server answers 2xx

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in ("operation_id", "mode", "method", "path", "query", "body",
                                                       "note", "expect_success")}
        if self.raw_body is not None:  # bytes kept exactly: latin-1 maps each byte to one character
            data["raw_body"] = self.raw_body.decode("latin-1")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedRequest:
        raw = data.get("raw_body")
        return cls(**{**data, "raw_body": raw.encode("latin-1") if isinstance(raw, str) else None})

    @property
    def streamed(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    def describe(self) -> str:
        # raw bodies go through short() as text, so control bytes show as JSON escapes rather than raw
        sent = short(self.raw_body.decode("utf-8", "replace"), 120) if self.raw_body is not None \
            else short(self.body, 160)
        query = f" query {short(self.query, 80)}" if self.query else ""
        return f"{self.method} {self.path}{query} ({self.note}) body {sent}"


@dataclass
class PropertyExample:
    request: PlannedRequest
    exchange: Exchange
