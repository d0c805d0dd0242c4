"""The first chat check: a non-streamed completion against the profile's schema, and unknown models."""

from __future__ import annotations

from collections.abc import Iterable

from ..exchange import Exchange
from ..findings import Finding, expect, failed, short
from ..profile import schema_errors
from . import check
from .common import no_response
from .errors import unknown_model


@check("chat.response.schema")
def completion_schema(ex: Exchange) -> Iterable[Finding]:
    req = "chat.response.schema"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    body = ex.json()
    if ex.status != 200 or body is None:
        yield failed(req, f"POST /chat/completions answered {ex.describe()}, expected 200 with a chat.completion",
                     status=ex.status)
        return
    errors = schema_errors("CreateChatCompletionResponse", body)
    yield expect(req, not errors, "response does not match the chat.completion schema: " + "; ".join(errors),
                 violations=errors, received=short(body, 400))


def unknown_model_chat(ex: Exchange) -> list[Finding]:
    return unknown_model(ex, "errors.status.unknown-model", "a chat completion")
