"""Deliberately broken client drivers: the official Python SDK's driver with one mistake each, the kind wrapper
libraries make. ``python tests/broken_clients.py NAME`` speaks the driver protocol; the gate must catch each."""

from __future__ import annotations

import sys
from typing import Any

from oaic.clients.python_driver import Driver


class DropsLastEvent(Driver):
    """Stops reading one event early (an off-by-one around [DONE]): loses the finish reason or the usage."""

    def stream_result(self, stream: Any, text_of: Any) -> dict[str, Any]:
        return super().stream_result(list(stream)[:-1], text_of)


class IgnoresToolCallIndex(Driver):
    """Joins tool-call fragments by their position in the delta list instead of their index."""

    @staticmethod
    def add_tool_calls(calls: list[dict[str, Any]], deltas: list[Any]) -> None:
        for position, delta in enumerate(deltas):
            if len(calls) <= position:
                calls.append({"id": None, "name": "", "arguments": ""})
            call = calls[position]
            call["id"] = call["id"] or delta.id
            if delta.function is not None:
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""


class IgnoresRetryAfter(Driver):
    """Retries 429/503 at once, whatever Retry-After says (its own loop around an SDK with retries off)."""

    def client(self, request: dict[str, Any]) -> Any:
        return super().client({**request, "options": {**(request.get("options") or {}), "max_retries": 0}})

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        for _ in range(self.retries_for(request)):
            answer = super().answer(request)
            if (answer.get("error") or {}).get("status") not in (429, 503):
                return answer
        return super().answer(request)

    def retries_for(self, request: dict[str, Any]) -> int:
        return int((request.get("options") or {}).get("max_retries") or 0)


BROKEN = {"drop-last-event": DropsLastEvent, "tool-calls-by-position": IgnoresToolCallIndex,
          "ignore-retry-after": IgnoresRetryAfter}

if __name__ == "__main__":
    BROKEN[sys.argv[1]]().serve()
