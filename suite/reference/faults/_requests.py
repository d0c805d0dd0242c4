"""Request-level transforms shared by the faults of several areas: a model route that serves any name, validation
skipped on the streamed path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import FaultContext


def serve_unknown_model(endpoint: str) -> Callable[[bool, FaultContext], bool]:
    """The endpoint serves any model name with its default model (a wildcard route, a single-model server)."""
    def hook(refuse: bool, ctx: FaultContext) -> bool:
        return False if ctx.endpoint == endpoint else refuse
    return hook


def skip_stream_validation(endpoint: str) -> Callable[[Any, FaultContext], Any]:
    """Sampling parameters are validated on the non-streamed path only: a streamed request out of range is
    served (clamped)."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        if ctx.endpoint != endpoint or not isinstance(body, dict) or body.get("stream") is not True:
            return body
        value = body.get("temperature")
        return {**body, "temperature": 2} if isinstance(value, (int, float)) and value > 2 else body
    return hook
