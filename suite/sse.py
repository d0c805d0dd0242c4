"""A strict, incremental Server-Sent Events decoder that keeps the wire visible.

Written by hand because the checks need what SSE client libraries throw away: every raw line, comment lines,
``event``/``id``/``retry`` fields, the arrival time of each event, an event left unterminated when the connection
closed, and lines that are not valid UTF-8. Decoding works on complete lines only, so a multi-byte UTF-8 character
split across network chunks is reassembled before it is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SSEEvent:
    index: int
    data: str | None  # data lines joined with "\n"; None when the event had no data field
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    raw_lines: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    offset: float = 0.0  # seconds from the start of the request to the blank line that ended the event
    terminated: bool = True  # False when the stream closed before the blank line

    _parsed: Any = field(default=None, repr=False, compare=False)
    _parse_error: str | None = field(default=None, repr=False, compare=False)
    _parsed_done: bool = field(default=False, repr=False, compare=False)

    @property
    def is_done(self) -> bool:
        return self.data is not None and self.data.strip() == "[DONE]"

    def json(self) -> Any:
        """The data parsed as JSON, or None when it is not JSON (see ``json_error``)."""
        self._parse()
        return self._parsed

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._parse_error

    def _parse(self) -> None:
        if self._parsed_done:
            return
        self._parsed_done = True
        from . import wirejson

        if self.data is None:
            self._parse_error = "event has no data field"
            return
        try:
            self._parsed = wirejson.loads(self.data)
        except wirejson.NotJSON as exc:
            self._parse_error = f"invalid JSON: {exc}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "offset": round(self.offset, 4), "raw_lines": self.raw_lines}
        if not self.terminated:
            out["terminated"] = False
        return out


class SSEDecoder:
    """Feed bytes as they arrive; collect events. ``close()`` at end of stream."""

    def __init__(self) -> None:
        self.events: list[SSEEvent] = []
        self.problems: list[str] = []
        self.comment_count = 0
        self._partial: list[bytes] = []  # bytes of the line not yet terminated
        self._line_number = 0
        self._pending_cr = False
        self._reset_event()

    def _reset_event(self) -> None:
        self._data: list[str] | None = None
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._raw: list[str] = []
        self._comments: list[str] = []

    def feed(self, chunk: bytes, offset: float) -> None:
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF split across two network chunks
        self._pending_cr = False
        if b"\n" not in chunk and b"\r" not in chunk:
            self._partial.append(chunk)  # the middle of a long line: joined once, when the line ends
            return
        buffer = b"".join(self._partial) + chunk
        self._partial = []
        start = 0
        next_lf = buffer.find(b"\n")
        next_cr = buffer.find(b"\r")
        while True:
            # Each search resumes where the last found terminator was, so a chunk of many lines costs one pass.
            if next_lf != -1 and next_lf < start:
                next_lf = buffer.find(b"\n", start)
            if next_cr != -1 and next_cr < start:
                next_cr = buffer.find(b"\r", start)
            if next_cr != -1 and (next_lf == -1 or next_cr < next_lf):
                end, width = next_cr, 2 if next_lf == next_cr + 1 else 1
            elif next_lf != -1:
                end, width = next_lf, 1
            else:
                break
            raw = buffer[start:end]
            if width == 1 and buffer[end : end + 1] == b"\r" and end + 1 == len(buffer):
                self._pending_cr = True  # a lone CR at the end of a chunk may be the first half of CRLF
            start = end + width
            self._line(raw, offset)
        if start < len(buffer):
            self._partial.append(buffer[start:])

    def close(self, offset: float) -> None:
        if self._partial:
            self._line(b"".join(self._partial), offset, terminated_line=False)
            self._partial = []
        if self._raw:
            self._dispatch(offset, terminated=False)
            self.problems.append("stream ended inside an event (no blank line after its last field)")

    def _line(self, raw: bytes, offset: float, terminated_line: bool = True) -> None:
        self._line_number += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("utf-8", "replace")
            self.problems.append(f"line {self._line_number} is not valid UTF-8")
        if line.startswith("\ufeff") and self._line_number == 1:
            line = line[1:]
        if line == "":
            if self._raw:
                self._dispatch(offset, terminated=True)
            return
        self._raw.append(line)
        if line.startswith(":"):
            self.comment_count += 1
            self._comments.append(line[1:].lstrip(" "))
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data = (self._data or []) + [value]
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name == "retry":
            if value.isdigit():
                self._retry = int(value)
            else:
                self.problems.append(f"line {self._line_number}: retry field is not an integer: {value!r}")
        else:
            self.problems.append(f"line {self._line_number}: unknown SSE field {name!r}")

    def _dispatch(self, offset: float, terminated: bool) -> None:
        event = SSEEvent(
            index=len(self.events),
            data="\n".join(self._data) if self._data is not None else None,
            event=self._event,
            id=self._id,
            retry=self._retry,
            raw_lines=self._raw,
            comments=self._comments,
            offset=offset,
            terminated=terminated,
        )
        # A comment-only block (keep-alive ping) is not an event in SSE terms; keep it out of the event list.
        if event.data is None and event.event is None and event.id is None and event.retry is None:
            self._reset_event()
            return
        self.events.append(event)
        self._reset_event()


def decode(body: bytes, offsets: list[tuple[float, bytes]] | None = None) -> SSEDecoder:
    """Decode a whole body (or timed chunks) at once: used by replay and by self-tests."""
    decoder = SSEDecoder()
    if offsets is None:
        offsets = [(0.0, body)]
    last = 0.0
    for offset, chunk in offsets:
        decoder.feed(chunk, offset)
        last = offset
    decoder.close(last)
    return decoder
