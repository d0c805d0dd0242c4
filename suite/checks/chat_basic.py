"""The first chat check: a non-streamed completion against the profile's schema, and unknown models."""

from __future__ import annotations

from collections.abc import Iterable

from ..exchange import Exchange
from ..findings import Finding, expect, failed, short, skipped
from ..profile import schema_errors
from . import check
from .common import no_response
from .errors import route_not_served


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


@check("errors.status.unknown-model")
def unknown_model_chat(ex: Exchange) -> Iterable[Finding]:
    req = "errors.status.unknown-model"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    missing = route_not_served(ex, ("model",))
    if missing:  # a 404 that does not mention the model is the route's, not the model's
        yield skipped(req, missing)
        return
    yield expect(req, ex.status == 404,
                 f"chat completion with a model that does not exist answered {ex.describe()}, expected 404",
                 status=ex.status, body=short(ex.body, 200))
