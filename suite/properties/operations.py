"""The operations the property phase covers, and how to generate requests for each without false alarms.

Positive mode must only send requests that every conformant server accepts, so it does not generate from the
request schema as published: it takes the document's schema of each parameter it may send (``params``), keeps
only those whose capability the target claims, narrows a few of them (bounded seeds, short strings, at most two
choices), and replaces the parts whose valid values depend on the server (the model, the messages, the prompt)
with values that are valid everywhere. The model is always the configured one and output is always short.

Negative mode generates from the document's own parameter schemas and keeps a case only when it breaks a rule
the document states and a server enforces (see generation.py); malformed JSON and each missing required field
are always tried first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..capabilities import MODEL_AREAS
from ..target import Target
from .cases import NotApplicable

MAX_TOKENS = 16  # also OpenAI's minimum for max_output_tokens
INT32_MAX = 2**31 - 1

SHORT_TEXT = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"}
ID_LIKE = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{8,40}$"}
METADATA = {"type": "object", "maxProperties": 2, "propertyNames": {"pattern": r"^[a-z_]{1,16}$"},
            "additionalProperties": {"type": "string", "maxLength": 32}}
STOP = {"anyOf": [{"type": "null"}, {"type": "string", "minLength": 1, "maxLength": 8},
                  {"type": "array", "minItems": 1, "maxItems": 4,
                   "items": {"type": "string", "minLength": 1, "maxLength": 8}}]}


def _message(role: str) -> dict[str, Any]:
    return {"type": "object", "required": ["role", "content"], "additionalProperties": False,
            "properties": {"role": {"const": role}, "content": SHORT_TEXT}}


def chat_messages(target: Target) -> dict[str, Any]:
    """One user message, optionally after one system (or developer) message: the conversation every chat
    template accepts (several system messages or two user turns in a row are rejected by some templates)."""
    leads = ["system"] + (["developer"] if target.claims("developer_role") else [])
    return {"anyOf": [
        {"type": "array", "prefixItems": [_message("user")], "items": False, "minItems": 1},
        {"type": "array", "prefixItems": [{"anyOf": [_message(role) for role in leads]}, _message("user")],
         "items": False, "minItems": 2},
    ]}


def configured_model(target: Target, area: str | None) -> str:
    """The model of ``area``, or (area None) the first model the target names, whatever its area."""
    model = target.model(area) if area else next(filter(None, map(target.model, MODEL_AREAS)), None)
    if not model:
        raise NotApplicable(f"no {area + ' model' if area else 'model'} is configured")
    return model


@dataclass(frozen=True)
class Param:
    """A body parameter positive mode may send: the capability it needs (None: the operation's own) and a
    narrowing merged with the document's schema (None: the document's schema as it is)."""

    capabilities: tuple[str, ...] = ()
    narrow: dict[str, Any] | None = None


@dataclass(frozen=True)
class OperationPlan:
    operation_id: str
    capability: str
    model_area: str | None = None  # the target model this operation uses (None: any model the target names)
    expect_success: bool = True  # False for lookups of ids that do not exist: 404 is the right answer
    params: dict[str, Param] = field(default_factory=dict)  # optional body parameters positive mode may send
    replaced: dict[str, str] = field(default_factory=dict)  # body parameter -> kind of REPLACEMENTS
    base_body: dict[str, str] = field(default_factory=dict)  # the known-good body: parameter -> kind of value
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # generated query parameters
    fixed_query: dict[str, str] = field(default_factory=dict)  # query parameter -> kind of value
    path: dict[str, Any] = field(default_factory=dict)  # path parameter -> schema, or a kind of value
    negative: bool = False  # invalid bodies are meaningful here (the create operations)
    max_tokens_param: str | None = None  # forced small in every request, negative ones included

    def value(self, kind: str, target: Target) -> Any:
        """A fixed value: of the known-good body, a fixed query or path parameter, or a replaced parameter."""
        return {
            "model": lambda: configured_model(target, self.model_area),
            "max_tokens": lambda: MAX_TOKENS,
            "messages": lambda: [{"role": "user", "content": "Say hello."}],
            "text": lambda: "Say hello.",
            "metadata": lambda: {"oaic": "property"},
        }[kind]()

    def base(self, target: Target) -> dict[str, Any] | None:
        if not self.base_body:
            return None
        return {name: self.value(kind, target) for name, kind in self.base_body.items()}

    def replacement(self, kind: str, target: Target) -> dict[str, Any]:
        """The positive schema of a replaced body parameter."""
        if kind in ("model", "max_tokens"):
            return {"const": self.value(kind, target)}
        if kind == "messages":
            return chat_messages(target)
        if kind == "text":
            return SHORT_TEXT
        if kind == "texts":
            return {"anyOf": [SHORT_TEXT, {"type": "array", "minItems": 1, "maxItems": 3, "items": SHORT_TEXT}]}
        raise ValueError(f"unknown replacement {kind!r}")


SAMPLING = {
    "temperature": Param(),
    "top_p": Param(),
    "frequency_penalty": Param(),
    "presence_penalty": Param(),
    "seed": Param(narrow={"minimum": 0, "maximum": INT32_MAX}),
    "user": Param(narrow={"minLength": 1, "maxLength": 32}),
    "stop": Param(("stop",), STOP),
    "n": Param(("n",), {"maximum": 2}),
}

PLANS: dict[str, OperationPlan] = {plan.operation_id: plan for plan in (
    OperationPlan("listModels", "models"),
    OperationPlan("retrieveModel", "models", path={"model": "model"}),
    OperationPlan(
        "createChatCompletion", "chat", "chat",
        params={**SAMPLING,
                "logprobs": Param(("logprobs",)),
                "stream": Param(("streaming",)),
                "stream_options": Param(("streaming", "stream_usage"), {
                    "type": "object", "required": ["include_usage"], "additionalProperties": False,
                    "properties": {"include_usage": {"type": "boolean"}}})},
        replaced={"model": "model", "messages": "messages", "max_tokens": "max_tokens"},
        base_body={"model": "model", "messages": "messages", "max_tokens": "max_tokens"},
        negative=True, max_tokens_param="max_tokens"),
    OperationPlan(
        "createCompletion", "completions", "completions",
        params={**SAMPLING, "logprobs": Param(("logprobs",), {"maximum": 2})},
        replaced={"model": "model", "prompt": "text", "max_tokens": "max_tokens"},
        base_body={"model": "model", "prompt": "text", "max_tokens": "max_tokens"},
        negative=True, max_tokens_param="max_tokens"),
    OperationPlan(
        "createEmbedding", "embeddings", "embeddings",
        params={"encoding_format": Param(narrow={"const": "float"}),
                "dimensions": Param(("embeddings_dimensions",), {"maximum": 64}),
                "user": Param(narrow={"minLength": 1, "maxLength": 32})},
        replaced={"model": "model", "input": "texts"},
        base_body={"model": "model", "input": "text"},
        negative=True),
    OperationPlan(
        "createResponse", "responses", "responses",
        params={"temperature": Param(), "top_p": Param(),
                "instructions": Param(narrow={"anyOf": [{"type": "null"}, SHORT_TEXT]}),
                "metadata": Param(narrow=METADATA),
                "store": Param(),
                "stream": Param(("responses_streaming",))},
        replaced={"model": "model", "input": "text", "max_output_tokens": "max_tokens"},
        base_body={"model": "model", "input": "text", "max_output_tokens": "max_tokens"},
        negative=True, max_tokens_param="max_output_tokens"),
    OperationPlan("getResponse", "responses", expect_success=False, path={"response_id": ID_LIKE}),
    OperationPlan("deleteResponse", "responses", expect_success=False, path={"response_id": ID_LIKE}),
    OperationPlan("listChatCompletions", "stored_completions", "chat",
                  query={"limit": {"type": "integer", "minimum": 1, "maximum": 100},
                         "order": {"enum": ["asc", "desc"]}},
                  fixed_query={"model": "model"}),
    OperationPlan("getChatCompletion", "stored_completions", expect_success=False,
                  path={"completion_id": ID_LIKE}),
    OperationPlan("updateChatCompletion", "stored_completions", expect_success=False,
                  path={"completion_id": ID_LIKE}, params={"metadata": Param(narrow=METADATA)},
                  base_body={"metadata": "metadata"}),
    OperationPlan("deleteChatCompletion", "stored_completions", expect_success=False,
                  path={"completion_id": ID_LIKE}),
    OperationPlan("getChatCompletionMessages", "stored_completions", expect_success=False,
                  path={"completion_id": ID_LIKE},
                  query={"limit": {"type": "integer", "minimum": 1, "maximum": 100},
                         "order": {"enum": ["asc", "desc"]}}),
)}
