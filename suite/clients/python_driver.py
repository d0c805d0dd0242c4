"""The client driver for the official Python SDK (``openai``): one JSON request per line on stdin, one JSON answer
per line on stdout (the protocol is documented in docs/clients.md).

It runs each operation the way an application would (auto-pagination, iterating streams) and reports what the
SDK handed back, parsed, or the exception it raised. Stream text and tool calls are assembled from the parsed
chunks the way the SDK's documentation shows (tool-call fragments joined by their ``index``). The class is meant
to be subclassed: a wrapper library's driver overrides one method.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import gc
import inspect
import json
import sys
import threading
import time
from typing import Any

TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
MAX_ITEMS = 1000  # auto-pagination against a server whose cursor never ends must end somewhere
PAUSE_SECONDS = 0.05  # the warm-up waits for a pause this long: a run's requests in a row come milliseconds apart


def dump(value: Any) -> Any:
    """An SDK object as the JSON it was parsed from (fields the server did not send are left out), read field by
    field as an application reads it: what ``model_dump(mode="json", exclude_unset=True)`` gives, without the
    serializer pydantic builds for each model type on first use (for a short run, much of the driver's time)."""
    fields = getattr(value, "model_fields_set", None)
    if isinstance(fields, set) and isinstance(getattr(type(value), "model_fields", None), dict):
        declared = type(value).model_fields
        out = {name: dump(getattr(value, name)) for name in fields if name in declared}
        out.update((name, dump(extra)) for name, extra in (getattr(value, "__pydantic_extra__", None) or {}).items())
        return out
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, (list, tuple)):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {key: dump(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


class Driver:
    def __init__(self) -> None:
        # The SDK's import is most of the driver's start, and a run waits for it: collecting garbage while its
        # hundreds of classes are made finds next to nothing, so that waits until they are made.
        collecting = gc.isenabled()
        gc.disable()
        try:
            import openai
        finally:
            if collecting:
                gc.enable()

        self.openai = openai
        self.clients: dict[tuple[Any, ...], Any] = {}
        self._busy = threading.Lock()  # a request and a warm-up step never run at once
        self._activity = threading.Condition()
        self._answering = False
        self._last_answer = time.monotonic()

    # -- protocol -------------------------------------------------------------------------------------
    def serve(self, stdin: Any = None, stdout: Any = None, warm_up: bool = True) -> None:
        stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
        self._last_answer = time.monotonic()  # a request already waiting is read before any warm-up step
        if warm_up:
            threading.Thread(target=self.warm_up, daemon=True, name="warm-up").start()
        for line in stdin:
            if not line.strip():
                continue
            with self._activity:
                self._answering = True
            with self._busy:
                request = json.loads(line)
                answer = self.answer(request)
            stdout.write(json.dumps({"id": request.get("id"), **answer}) + "\n")
            stdout.flush()
            with self._activity:
                self._answering = False
                self._last_answer = time.monotonic()
                self._activity.notify_all()

    def warm_up(self) -> None:
        """Pay the SDK's first-use costs (see warm_up.py) one step at a time in the pauses between requests: a
        request waits at most for the step under way, which is mostly work it would otherwise do itself."""
        from .warm_up import steps

        pending = steps(self)
        while True:
            self._wait_for_a_pause()
            with self._busy, contextlib.suppress(Exception):
                step = next(pending, None)
                if step is None:
                    return
                step()

    def _wait_for_a_pause(self) -> None:
        while True:
            with self._activity:
                self._activity.wait_for(lambda: not self._answering)
                rest = self._last_answer + PAUSE_SECONDS - time.monotonic()
            if rest <= 0:
                return
            time.sleep(rest)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        operation = getattr(self, "op_" + request["op"].replace(".", "_"), None)
        if operation is None:
            return {"error": {"kind": "unsupported", "class": "", "message": f"no operation {request['op']}"}}
        client = self.client(request)
        try:
            return {"result": operation(client, dict(request.get("params") or {}))}
        except Exception as exc:  # what the SDK raised is the answer
            return {"error": self.describe(exc)}

    def client(self, request: dict[str, Any]) -> Any:
        options = request.get("options") or {}
        key = (request["base_url"], request.get("api_key"), options.get("max_retries"), options.get("timeout"))
        if key not in self.clients:
            kwargs: dict[str, Any] = {"base_url": request["base_url"], "api_key": request.get("api_key") or "none"}
            if options.get("max_retries") is not None:
                kwargs["max_retries"] = int(options["max_retries"])
            if options.get("timeout") is not None:
                kwargs["timeout"] = float(options["timeout"])
            self.clients[key] = self.openai.OpenAI(**kwargs)
        return self.clients[key]

    def describe(self, exc: Exception) -> dict[str, Any]:
        openai = self.openai
        # The HTTP library's own errors, should one escape the SDK: from whichever library the SDK uses, which is
        # imported already when it is in use.
        http = [sys.modules[name] for name in ("httpx", "httpx2") if name in sys.modules]
        if isinstance(exc, (openai.APITimeoutError, *(m.TimeoutException for m in http))):
            kind = "timeout"
        elif isinstance(exc, (openai.APIConnectionError, *(m.TransportError for m in http))):
            kind = "connection"
        elif isinstance(exc, openai.APIStatusError):
            kind = "status"
        elif isinstance(exc, openai.APIError):
            kind = "api"
        elif isinstance(exc, (TypeError, ValueError)) and not isinstance(exc, openai.OpenAIError):
            kind = "usage"  # the SDK refused the parameters before sending anything
        else:
            kind = "other"
        out = {"kind": kind, "class": f"{type(exc).__module__.split('.')[0]}.{type(exc).__name__}",
               "message": str(exc)[:500]}
        for name in ("status_code", "code", "param", "type", "request_id"):
            value = getattr(exc, name, None)
            if value is not None and not callable(value):
                out["status" if name == "status_code" else name] = value
        return out

    # -- helpers --------------------------------------------------------------------------------------
    @staticmethod
    def call(method: Any, params: dict[str, Any]) -> Any:
        """Call an SDK method with the request body: parameters it does not name go in ``extra_body``."""
        known = inspect.signature(method).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in known.values()):
            return method(**params)
        kwargs = {k: v for k, v in params.items() if k in known and k not in ("extra_body", "extra_query")}
        extra = {k: v for k, v in params.items() if k not in kwargs}
        if extra:
            kwargs["extra_body"] = extra
        return method(**kwargs)

    def stream_result(self, stream: Any, text_of: Any) -> dict[str, Any]:
        chunks = [chunk for chunk in stream]
        choices: dict[str, dict[str, Any]] = {}
        usage = None
        for chunk in chunks:
            if getattr(chunk, "usage", None) is not None:
                usage = dump(chunk.usage)
            for choice in getattr(chunk, "choices", None) or []:
                entry = choices.setdefault(str(choice.index), {"text": "", "finish_reason": None, "tool_calls": []})
                entry["text"] += text_of(choice) or ""
                if choice.finish_reason is not None:
                    entry["finish_reason"] = choice.finish_reason
                delta = getattr(choice, "delta", None)
                self.add_tool_calls(entry["tool_calls"], getattr(delta, "tool_calls", None) or [])
        return {"chunks": [dump(c) for c in chunks], "choices": choices, "usage": usage}

    @staticmethod
    def add_tool_calls(calls: list[dict[str, Any]], deltas: list[Any]) -> None:
        """Join tool-call fragments by their index, as OpenAI documents the stream."""
        for delta in deltas:
            while len(calls) <= delta.index:
                calls.append({"id": None, "name": "", "arguments": ""})
            call = calls[delta.index]
            call["id"] = call["id"] or delta.id
            if delta.function is not None:
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""

    @staticmethod
    def walk(page: Any) -> dict[str, Any]:
        """Iterate a list the documented way: the SDK fetches the following pages itself."""
        items = []
        for item in page:
            items.append(dump(item))
            if len(items) >= MAX_ITEMS:
                return {"items": items, "truncated": True}
        return {"items": items}

    # -- operations -----------------------------------------------------------------------------------
    def op_chat_completions_create(self, client: Any, params: dict[str, Any]) -> Any:
        result = self.call(client.chat.completions.create, params)
        if params.get("stream") is True:
            return self.stream_result(result, lambda choice: getattr(choice.delta, "content", None))
        return {"response": dump(result)}

    def op_completions_create(self, client: Any, params: dict[str, Any]) -> Any:
        result = self.call(client.completions.create, params)
        if params.get("stream") is True:
            return self.stream_result(result, lambda choice: choice.text)
        return {"response": dump(result)}

    def op_embeddings_create(self, client: Any, params: dict[str, Any]) -> Any:
        return {"response": dump(self.call(client.embeddings.create, params))}

    def op_responses_create(self, client: Any, params: dict[str, Any]) -> Any:
        result = self.call(client.responses.create, params)
        if params.get("stream") is not True:
            return {"response": dump(result)}
        events = [event for event in result]
        final = next((e.response for e in reversed(events) if e.type in TERMINAL_EVENTS), None)
        return {"events": [dump(e) for e in events], "final": dump(final)}

    def op_responses_retrieve(self, client: Any, params: dict[str, Any]) -> Any:
        return {"response": dump(client.responses.retrieve(params["id"]))}

    def op_models_list(self, client: Any, params: dict[str, Any]) -> Any:
        return self.walk(client.models.list())

    def op_models_retrieve(self, client: Any, params: dict[str, Any]) -> Any:
        return {"response": dump(client.models.retrieve(params["id"]))}

    def op_chat_completions_list(self, client: Any, params: dict[str, Any]) -> Any:
        return self.walk(client.chat.completions.list(extra_query=params.get("query") or {}))

    def op_chat_completions_retrieve(self, client: Any, params: dict[str, Any]) -> Any:
        return {"response": dump(client.chat.completions.retrieve(params["id"]))}

    def op_chat_completions_update(self, client: Any, params: dict[str, Any]) -> Any:
        body = params.get("body") or {}
        return {"response": dump(client.chat.completions.update(params["id"], metadata=body.get("metadata"),
                                                                extra_body={k: v for k, v in body.items()
                                                                            if k != "metadata"} or None))}

    def op_chat_completions_delete(self, client: Any, params: dict[str, Any]) -> Any:
        return {"response": dump(client.chat.completions.delete(params["id"]))}


def main() -> None:
    Driver().serve()


if __name__ == "__main__":
    main()
