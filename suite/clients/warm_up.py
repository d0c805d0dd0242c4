"""The Python driver's warm-up: what an application's first call of each kind pays once per process through the
official SDK (modules the SDK imports on first use, its models' validators and serializers, built when a response
of that type is first parsed and dumped), paid while the driver waits for requests instead of on them.

Each step runs one of the driver's own operations against a canned answer from an in-memory transport: nothing
leaves the process, nothing is reported, and the operations the suite asks for later run exactly as before.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

BASE_URL = "http://warm-up.invalid/v1"  # never resolved: the in-memory transport answers every request
_USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
_CHAT = {"id": "chatcmpl-w", "object": "chat.completion", "created": 0, "model": "w", "usage": _USAGE,
         "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                      "message": {"role": "assistant", "content": "ok", "refusal": None}}]}
_CHUNKS = [
    {"id": "chatcmpl-w", "object": "chat.completion.chunk", "created": 0, "model": "w",
     "choices": [{"index": 0, "finish_reason": None, "delta": {"role": "assistant", "content": "o", "tool_calls": [
         {"index": 0, "id": "call_w", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}]},
    {"id": "chatcmpl-w", "object": "chat.completion.chunk", "created": 0, "model": "w",
     "choices": [{"index": 0, "finish_reason": "stop", "delta": {}}]},
    {"id": "chatcmpl-w", "object": "chat.completion.chunk", "created": 0, "model": "w", "choices": [],
     "usage": _USAGE},
]
_COMPLETION = {"id": "cmpl-w", "object": "text_completion", "created": 0, "model": "w", "usage": _USAGE,
               "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}]}
_EMBEDDINGS = {"object": "list", "model": "w", "usage": {"prompt_tokens": 1, "total_tokens": 1},
               "data": [{"object": "embedding", "index": 0, "embedding": [0.0, 1.0]}]}
_MODELS = {"object": "list", "data": [{"id": "w", "object": "model", "created": 0, "owned_by": "w"}]}
_RESPONSE = {"id": "resp_w", "object": "response", "created_at": 0, "model": "w", "status": "completed",
             "output": [{"type": "message", "id": "msg_w", "role": "assistant", "status": "completed",
                         "content": [{"type": "output_text", "text": "ok", "annotations": []}]}],
             "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                       "input_tokens_details": {"cached_tokens": 0},
                       "output_tokens_details": {"reasoning_tokens": 0}},
             "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "error": None}
_EVENTS = [
    {"type": "response.created", "sequence_number": 0, "response": {**_RESPONSE, "status": "in_progress"}},
    {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_w", "output_index": 0,
     "content_index": 0, "delta": "ok", "logprobs": []},
    {"type": "response.completed", "sequence_number": 2, "response": _RESPONSE},
]
_ERROR = {"error": {"message": "no such model", "type": "invalid_request_error", "param": None,
                    "code": "model_not_found"}}
_CHAT_BODY = {"model": "w", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}

# (operation, parameters) in the order a run usually first needs them.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("chat.completions.create", _CHAT_BODY),
    ("chat.completions.create", {**_CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}}),
    ("models.retrieve", {"id": "missing"}),  # an error response: the SDK's exception path
    ("models.list", {}),
    ("completions.create", {"model": "w", "prompt": "hi", "max_tokens": 1}),
    ("completions.create", {"model": "w", "prompt": "hi", "max_tokens": 1, "stream": True}),
    ("embeddings.create", {"model": "w", "input": "hi"}),
    ("responses.create", {"model": "w", "input": "hi", "max_output_tokens": 16}),
    ("responses.create", {"model": "w", "input": "hi", "max_output_tokens": 16, "stream": True}),
]


def _sse(events: list[dict[str, Any]], done: bool) -> bytes:
    lines = [f"data: {json.dumps(event)}\n\n" for event in events] + (["data: [DONE]\n\n"] if done else [])
    return "".join(lines).encode()


def canned(method: str, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
    """(status, content type, body) for a request of the warm-up."""
    stream = body.get("stream") is True
    if path.endswith("/chat/completions"):
        return (200, "text/event-stream", _sse(_CHUNKS, True)) if stream else (200, "application/json",
                                                                                 json.dumps(_CHAT).encode())
    if path.endswith("/completions"):
        chunks = [{**_COMPLETION, "usage": None}]
        return (200, "text/event-stream", _sse(chunks, True)) if stream else (200, "application/json",
                                                                                json.dumps(_COMPLETION).encode())
    if path.endswith("/embeddings"):
        return 200, "application/json", json.dumps(_EMBEDDINGS).encode()
    if path.endswith("/models"):
        return 200, "application/json", json.dumps(_MODELS).encode()
    if path.endswith("/responses"):
        return (200, "text/event-stream", _sse(_EVENTS, False)) if stream else (200, "application/json",
                                                                                  json.dumps(_RESPONSE).encode())
    return 404, "application/json", json.dumps(_ERROR).encode()


def in_memory_client(openai: Any) -> Any:
    """An SDK client whose HTTP client answers from ``canned`` (the SDK's own HTTP library's mock transport)."""
    default = getattr(openai, "DefaultHttpxClient", None)
    base = next((c for c in getattr(default, "__mro__", ()) if c.__name__ == "Client"), None)
    http = sys.modules.get(base.__module__.split(".")[0]) if base is not None else None
    if http is None or not hasattr(http, "MockTransport"):
        return None
    default().close()  # the real transport, as a request's client makes it: its connection pool's import

    def handle(request: Any) -> Any:
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        status, content_type, content = canned(request.method, request.url.path, body)
        return http.Response(status, headers={"content-type": content_type}, content=content)

    return openai.OpenAI(base_url=BASE_URL, api_key="warm-up", max_retries=0,
                         http_client=default(transport=http.MockTransport(handle)))


def steps(driver: Any) -> Iterator[Callable[[], Any]]:
    """The warm-up, one callable per operation; each may raise (an SDK without the operation): ignore it."""
    client = in_memory_client(driver.openai)
    if client is None:
        return
    for name, params in STEPS:
        operation = getattr(driver, "op_" + name.replace(".", "_"), None)
        if operation is not None:
            yield lambda operation=operation, params=params: _run(driver, operation, client, params)


def _run(driver: Any, operation: Callable[..., Any], client: Any, params: dict[str, Any]) -> None:
    try:
        operation(client, dict(params))
    except Exception as exc:  # the error step's answer, described as a real one would be
        driver.describe(exc)
