"""GET /models and GET /models/{model}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .wire import APIError, JSONBody

if TYPE_CHECKING:
    from .app import Call

# The models the reference provider serves; every one works on every endpoint.
DEFAULT_MODELS = ("ref-chat", "ref-tools", "ref-embed", "ref-instruct", "ref-responses", "ref-moderation",
                  "ref-whisper")
CREATED = 1_700_000_000  # a fixed Unix time in seconds, so the listing is the same on every run


def model_object(model_id: str, position: int = 0) -> dict:
    return {"id": model_id, "object": "model", "created": CREATED + position * 86_400, "owned_by": "oaic-reference"}


def not_found(model_id: str, param: str | None = "model") -> APIError:
    return APIError(404, f"The model `{model_id}` does not exist or you do not have access to it.", param,
                    "model_not_found")


def list_models(call: Call) -> JSONBody:
    body = {"object": "list", "data": [model_object(m, i) for i, m in enumerate(call.provider.models)]}
    return JSONBody(call.apply("models.list", body))


def retrieve_model(call: Call) -> JSONBody:
    model_id = call.path_params["model"]
    if model_id not in call.provider.models:
        raise not_found(model_id, None)
    body = model_object(model_id, call.provider.models.index(model_id))
    return JSONBody(call.apply("models.retrieve", body))
