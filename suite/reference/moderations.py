"""POST /moderations: one result per input (or one for a multi-modal array), every category scored.

Scores are small and derived from the text, so harmless text is never flagged; a few plain words raise their
category above the threshold, so flagged answers exist too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .params import Params, invalid_type
from .text import digest
from .wire import APIError, JSONBody

if TYPE_CHECKING:
    from .app import Call

KNOWN = {"model", "input"}
DEFAULT_MODEL = "ref-moderation"
CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
              "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
              "violence/graphic")
# The categories OpenAI's omni models also judge in images; the others are text only.
IMAGE_CATEGORIES = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence",
                    "violence/graphic"}
TRIGGERS = {"violence": re.compile(r"\b(kill|attack|stab)\b", re.I),
            "harassment": re.compile(r"\b(idiot|moron|loser)\b", re.I)}
THRESHOLD = 0.5


def _invalid_input() -> APIError:
    return APIError(400, "'$.input' is invalid. Please check the API reference: "
                         "https://platform.openai.com/docs/api-reference.", "input", "invalid_value")


def _part(item: Any) -> tuple[str, str]:
    """(type, content) of one item of a multi-modal input array."""
    if not isinstance(item, dict) or item.get("type") not in ("text", "image_url"):
        raise _invalid_input()
    if item["type"] == "text":
        if not isinstance(item.get("text"), str):
            raise _invalid_input()
        return "text", item["text"]
    image = item.get("image_url")
    if not isinstance(image, dict) or not isinstance(image.get("url"), str):
        raise _invalid_input()
    return "image", image["url"]


def inputs(value: Any) -> list[list[tuple[str, str]]]:
    """The inputs to classify, each a list of (type, content) parts: a string array gives one input per string,
    a multi-modal array gives one input made of all its parts."""
    if isinstance(value, str):
        return [[("text", value)]]
    if not isinstance(value, list):
        raise invalid_type("input", value, ("string", "array"))
    if not value:
        raise _invalid_input()
    if all(isinstance(item, str) for item in value):
        return [[("text", item)] for item in value]
    return [[_part(item) for item in value]]


def score(category: str, parts: list[tuple[str, str]]) -> float:
    content = "\n".join(content for _, content in parts)
    trigger = TRIGGERS.get(category.split("/")[0])
    if trigger is not None and trigger.search(content) and "/" not in category:
        return 0.9 + digest(category, content) % 900 / 10_000
    return (digest(category, content) % 1000 + 1) / 1_000_000  # under 0.001: harmless


def result(parts: list[tuple[str, str]]) -> dict:
    kinds = {kind for kind, _ in parts}
    scores = {c: score(c, parts) for c in CATEGORIES}
    categories = {c: scores[c] >= THRESHOLD for c in CATEGORIES}
    applied = {c: [k for k in ("text", "image") if k in kinds and (k == "text" or c in IMAGE_CATEGORIES)]
               for c in CATEGORIES}
    return {"flagged": any(categories.values()), "categories": categories, "category_scores": scores,
            "category_applied_input_types": applied}


def create(call: Call) -> JSONBody:
    body = call.body
    if not isinstance(body, dict):
        raise invalid_type("body", body, ("object",))
    p = Params(body, KNOWN)
    items = inputs(p.value("input", ("string", "array"), required=True))
    model = p.string("model", default=DEFAULT_MODEL)
    call.require_model(model)
    out = {"id": call.provider.new_id("modr-"), "model": model, "results": [result(parts) for parts in items]}
    return JSONBody(call.apply("moderations.response", out))
