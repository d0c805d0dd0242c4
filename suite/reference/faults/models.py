"""Faults of GET /models and GET /models/{model}, as OpenAI-compatible servers have shipped them."""

from __future__ import annotations

from typing import Any

from ..wire import APIError
from . import FaultContext, fault


def _each_model(change):
    def hook(body: Any, ctx: FaultContext) -> Any:
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            return {**body, "data": [change(dict(m)) for m in body["data"]]}
        return change(dict(body)) if isinstance(body, dict) else body
    return hook


def _created_ms(model: dict) -> dict:
    model["created"] = model["created"] * 1000
    return model


def _without_owner(model: dict) -> dict:
    model.pop("owned_by", None)
    return model


def _unknown_as(status: int, body: Any):
    """The 404 of an unknown model becomes ``status`` with ``body`` (None: a model object named after the path)."""
    def hook(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
        if ctx.endpoint == "models.retrieve" and error[0] == 404:
            return status, body if body is not None else {"id": ctx.path.rsplit("/", 1)[-1], "object": "model",
                                                          "created": 1_700_000_000, "owned_by": "oaic-reference"}
        return error
    return hook


def _list_crashes(body: Any, ctx: FaultContext) -> Any:
    raise APIError(500, "The server had an error while processing your request. Sorry about that!", None, None,
                   "server_error")


def _retrieve_as_list(body: Any, ctx: FaultContext) -> Any:
    return {"object": "list", "data": [body]}


def _other_id(body: Any, ctx: FaultContext) -> Any:
    return {**body, "id": f"{body.get('id')}-2024-01-01"} if isinstance(body, dict) else body


def _first_only(body: Any, ctx: FaultContext) -> Any:
    return {**body, "data": body["data"][:1]} if isinstance(body, dict) and isinstance(body.get("data"), list) \
        else body


fault("models-list-500", ["models.list.status"],
      "GET /models crashes with HTTP 500 (a model registry that cannot be read), although the models are served.",
      models_list=_list_crashes)

fault("models-list-bare", ["models.list.shape"],
      "GET /models answers with a bare JSON array of models instead of {\"object\": \"list\", \"data\": [...]}.",
      models_list=lambda body, ctx: body.get("data", []) if isinstance(body, dict) else body)

fault("models-list-object-models", ["models.list.shape"],
      "GET /models says \"object\": \"models\" instead of \"list\".",
      models_list=lambda body, ctx: {**body, "object": "models"} if isinstance(body, dict) else body)

fault("models-created-ms", ["models.object.shape"],
      "Model objects give created in milliseconds instead of Unix seconds.",
      models_list=_each_model(_created_ms), models_retrieve=_each_model(_created_ms))

fault("models-no-owned-by", ["models.object.shape"],
      "Model objects lack owned_by.",
      models_list=_each_model(_without_owner), models_retrieve=_each_model(_without_owner))

fault("models-list-partial", ["models.list.contains-configured"],
      "GET /models lists only the first model, although the others are served.",
      models_list=_first_only)

fault("models-retrieve-list", ["models.retrieve.shape"],
      "GET /models/{model} answers with the whole model list.",
      models_retrieve=_retrieve_as_list)

fault("models-retrieve-other-id", ["models.retrieve.shape"],
      "GET /models/{model} answers with a model object whose id differs from the path (a dated snapshot name).",
      models_retrieve=_other_id)

fault("models-unknown-200", ["models.retrieve.unknown-404"],
      "GET /models/{model} for a model that does not exist answers 200 with an invented model object.",
      error=_unknown_as(200, None))

fault("models-unknown-detail", ["models.retrieve.unknown-404", "errors.body.shape"],
      "GET /models/{model} for a model that does not exist answers 404 with FastAPI's {\"detail\": ...} body.",
      error=_unknown_as(404, {"detail": "Not Found"}),
      # a configured model retrieved first shows the route is served, so the 404 is about the unknown model
      exercised_by=("models.retrieve.shape",))
