"""Choice-level transforms shared by the chat and legacy-completions faults (same choice shapes, same quirks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import FaultContext


def each_choice(change: Callable[[dict], None]) -> Callable[[Any, FaultContext], Any]:
    """A *.response or *.chunks hook: ``change(choice)`` on every choice of the body or of each chunk."""
    def hook(value: Any, ctx: FaultContext) -> Any:
        for body in value if isinstance(value, list) else [value]:
            for choice in body.get("choices", []):
                change(choice)
        return value
    return hook


def finish_eos(choice: dict) -> None:
    """Quirk 11: a non-standard finish_reason."""
    if choice.get("finish_reason") is not None:
        choice["finish_reason"] = "eos"


def length_as_stop(choice: dict) -> None:
    """An answer cut by the token limit says it stopped on its own."""
    if choice.get("finish_reason") == "length":
        choice["finish_reason"] = "stop"
