"""Faults the property phase catches: answers to generated requests, valid or not, that break what the OpenAPI
document says about status codes and accepted inputs. Faults of the error body, content types and crashes on
invalid input that the property phase also catches live with their areas (errors.py, transport.py)."""

from __future__ import annotations

from typing import Any

from ..wire import APIError
from . import FaultContext, fault

CREATE_ENDPOINTS = ("chat.completions", "completions", "embeddings", "responses.create")
LOOKUP_ENDPOINTS = ("responses.retrieve", "responses.delete", "responses.input_items", "stored.retrieve",
                    "stored.update", "stored.delete", "stored.messages")


def _null_rejected(body: Any, ctx: FaultContext) -> Any:
    """A strict request model without nullable fields: an optional parameter given as null is refused."""
    if ctx.endpoint in CREATE_ENDPOINTS:
        for name, value in body.items():
            if value is None:
                raise APIError(400, f"Invalid type for '{name}': expected a value, but got null instead.", name,
                               "invalid_type")
    return body


def _unknown_id_crashes(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    if ctx.endpoint in LOOKUP_ENDPOINTS and error[0] == 404:
        return 500, APIError(500, "The server had an error while processing your request. Sorry about that!", None,
                             None, "server_error").body()
    return error


def _created_201(status: int, ctx: FaultContext) -> int:
    return 201 if ctx.endpoint in CREATE_ENDPOINTS and status == 200 else status


fault("optional-null-rejected", ["property.positive.accepted"],
      "An optional parameter given as null (\"seed\": null, \"store\": null) is refused with 400 instead of being "
      "read as absent, as strict request models without nullable fields do.",
      request=_null_rejected)

fault("unknown-id-500", ["property.positive.no-server-error"],
      "Looking up a response or stored completion id that does not exist crashes the handler: HTTP 500 instead "
      "of 404.",
      error=_unknown_id_crashes)

fault("create-201", ["property.positive.status-documented"],
      "Successful creates (chat completions, completions, embeddings, responses) answer 201 Created, the default "
      "status of POST handlers in some web frameworks (NestJS), instead of 200.",
      response_status=_created_201)
