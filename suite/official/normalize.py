"""Normalization of OpenAI's official OpenAPI document into one a 3.1 validator and a generator read correctly.

What the published document gets wrong for testing (see the project's research notes on spec pitfalls), and
what is done about it, in place:

- ``nullable: true`` (OpenAPI 3.0) in a 3.1 document: validators ignore it, so null is rejected where OpenAI
  sends it. Rewritten as a type array ``[T, "null"]``, or ``anyOf: [..., {type: null}]`` where there is no type.
- Boolean ``exclusiveMinimum``/``exclusiveMaximum`` (3.0 style) become the 3.1 numbers; duplicate entries of
  ``required`` are dropped.
- Discriminators without ``mapping``: the mapping is inferred from each branch's const/enum value of the
  discriminator property (a checker that maps by schema name would expect the wrong value).
- Only 200 (and sometimes 429) is documented: every operation gets 400/401/403/404/429/500/503 with the
  ErrorResponse body.
- Streams are described as if the whole text/event-stream body were one chunk: they become an array of events
  whose data is [DONE] (not on the Responses API) or JSON of the chunk schema (contentMediaType +
  contentSchema), as in the project's profile.
- Error statuses documented with the bare ``Error`` object get the ErrorResponse body OpenAI sends.
- ``$recursiveAnchor``/``$recursiveRef`` (draft 2019-09) mean nothing to a 2020-12 validator and stop generators:
  dropped, the reference becoming ``{}``, which is what a 2020-12 validator made of it.
- Paths with ``?beta=true`` duplicate other operations: dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

NORMALIZER_VERSION = 2  # part of the cache key: bump when the output changes
ERROR_STATUSES = {
    "400": "The request is invalid.",
    "401": "No API key, or an API key that is not valid.",
    "403": "The key may not use this resource.",
    "404": "An unknown model, object id, or route.",
    "429": "A rate limit or the quota was reached.",
    "500": "The server failed while processing the request.",
    "503": "The server is overloaded.",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
NOT_SCHEMAS = {"example", "examples", "x-oaiMeta", "x-stainless-snippets"}  # data, not schemas: not walked
ANNOTATIONS = {"description", "title", "default", "deprecated", "example", "examples", "readOnly", "writeOnly",
               "externalDocs"}
DONE = "[DONE]"
ERROR_SCHEMAS = {
    "Error": {"type": "object", "required": ["message", "type", "param", "code"],
              "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                             "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}},
    "ErrorResponse": {"type": "object", "required": ["error"],
                      "properties": {"error": {"$ref": "#/components/schemas/Error"}}},
}


@dataclass
class Report:
    """What normalization changed: printed by `oaic spec normalize`."""

    nullable_rewritten: int = 0
    exclusive_bounds: int = 0
    duplicate_required: int = 0
    recursive_keywords: int = 0
    mappings_inferred: int = 0
    discriminators_unmapped: list[str] = field(default_factory=list)
    error_responses_added: int = 0
    error_responses_corrected: int = 0
    streams_described_per_event: int = 0
    beta_paths_dropped: int = 0

    def lines(self) -> list[str]:
        return [
            f"nullable rewritten as 3.1 null types: {self.nullable_rewritten}",
            f"boolean exclusive bounds made numeric: {self.exclusive_bounds}",
            f"duplicate required entries dropped: {self.duplicate_required}",
            f"2019-09 recursive keywords dropped: {self.recursive_keywords}",
            f"discriminator mappings inferred: {self.mappings_inferred}",
            f"discriminators left without a mapping: {len(self.discriminators_unmapped)}",
            f"error responses added (ErrorResponse): {self.error_responses_added}",
            f"error responses corrected from Error to ErrorResponse: {self.error_responses_corrected}",
            f"streams described per event: {self.streams_described_per_event}",
            f"?beta=true paths dropped: {self.beta_paths_dropped}",
        ]


def normalize(doc: dict[str, Any]) -> Report:
    """Normalize ``doc`` in place and say what changed."""
    report = Report()
    paths = doc.get("paths") or {}
    for path in [p for p in paths if "?" in p]:
        del paths[path]
        report.beta_paths_dropped += 1
    for node, _ in _schemas(doc, "#"):
        _fix_schema(node, report)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in ERROR_SCHEMAS.items():
        schemas.setdefault(name, schema)
    for node, where in _schemas(doc, "#"):
        if isinstance(node.get("discriminator"), dict):
            _infer_mapping(doc, node, where, report)
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                _add_error_responses(operation, report)
                _stream_per_event(path, operation, doc, report)
    return report


# -- walking ----------------------------------------------------------------------------------------------
def _schemas(node: Any, where: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every dict in the document (schemas among them), pre-order, skipping example data."""
    stack = [(node, where)]
    while stack:
        current, at = stack.pop()
        if isinstance(current, dict):
            yield current, at
            for key, value in current.items():
                if key not in NOT_SCHEMAS and isinstance(value, (dict, list)):
                    stack.append((value, f"{at}/{key}"))
        elif isinstance(current, list):
            stack.extend((value, f"{at}/{i}") for i, value in enumerate(current) if isinstance(value, (dict, list)))


def _fix_schema(node: dict[str, Any], report: Report) -> None:
    if isinstance(node.get("nullable"), bool):
        if node.pop("nullable"):
            _make_nullable(node)
            report.nullable_rewritten += 1
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):
            if node.pop(bound) and plain in node:
                node[bound] = node.pop(plain)
            report.exclusive_bounds += 1
    if node.pop("$recursiveAnchor", None) is not None:
        report.recursive_keywords += 1
    if node.pop("$recursiveRef", None) is not None:
        report.recursive_keywords += 1
    required = node.get("required")
    if isinstance(required, list) and len(set(map(str, required))) != len(required):
        node["required"] = list(dict.fromkeys(required))
        report.duplicate_required += 1


def _make_nullable(node: dict[str, Any]) -> None:
    kind = node.get("type")
    if isinstance(kind, str) and not any(k in node for k in ("oneOf", "anyOf", "allOf", "$ref")):
        node["type"] = [kind, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return
    if isinstance(kind, list):
        if "null" not in kind:
            node["type"] = [*kind, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return
    constraints = {k: v for k, v in node.items() if k not in ANNOTATIONS and not k.startswith("x-")}
    if not constraints:
        return  # no constraint: null is already accepted
    for key in constraints:
        del node[key]
    node["anyOf"] = [constraints, {"type": "null"}]


def _infer_mapping(doc: dict[str, Any], node: dict[str, Any], where: str, report: Report) -> None:
    discriminator = node["discriminator"]
    if discriminator.get("mapping") or not isinstance(discriminator.get("propertyName"), str):
        return
    prop = discriminator["propertyName"]
    mapping: dict[str, str] = {}
    for branch in node.get("oneOf") or node.get("anyOf") or []:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            continue
        for value in _discriminator_values(doc, _at(doc, ref), prop):
            mapping.setdefault(str(value), ref)
    if mapping:
        discriminator["mapping"] = mapping
        report.mappings_inferred += 1
    else:
        report.discriminators_unmapped.append(where)


def _discriminator_values(doc: dict[str, Any], schema: Any, prop: str, depth: int = 0) -> list[Any]:
    if not isinstance(schema, dict) or depth > 8:
        return []
    if isinstance(schema.get("$ref"), str):
        return _discriminator_values(doc, _at(doc, schema["$ref"]), prop, depth + 1)
    values: list[Any] = []
    prop_schema = (schema.get("properties") or {}).get(prop)
    if isinstance(prop_schema, dict):
        if isinstance(prop_schema.get("$ref"), str):
            prop_schema = _at(doc, prop_schema["$ref"])
        if "const" in prop_schema:
            values.append(prop_schema["const"])
        values += [v for v in prop_schema.get("enum") or [] if v is not None]
    for part in schema.get("allOf") or []:
        values += _discriminator_values(doc, part, prop, depth + 1)
    return values


def _at(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for token in ref.lstrip("#/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node.get(token) if isinstance(node, dict) else None
    return node


def _add_error_responses(operation: dict[str, Any], report: Report) -> None:
    responses = operation.setdefault("responses", {})
    for status, response in responses.items():
        media = ((response or {}).get("content") or {}).get("application/json") if isinstance(response, dict) else None
        if str(status)[0] in "45" and isinstance(media, dict) and media.get("schema") == {
                "$ref": "#/components/schemas/Error"}:
            media["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}
            report.error_responses_corrected += 1
    for status, description in ERROR_STATUSES.items():
        if status in responses or int(status) in responses:
            continue
        responses[status] = {"description": description, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
        report.error_responses_added += 1


def _stream_per_event(path: str, operation: dict[str, Any], doc: dict[str, Any], report: Report) -> None:
    for response in (operation.get("responses") or {}).values():
        if isinstance(response, dict) and isinstance(response.get("$ref"), str):
            response = _at(doc, response["$ref"])
        content = (response or {}).get("content") if isinstance(response, dict) else None
        media = (content or {}).get("text/event-stream")
        if not isinstance(media, dict):
            continue
        event = media.pop("itemSchema", None) or media.get("schema")
        if not isinstance(event, dict) or _is_event_array(event):
            continue
        data: dict[str, Any] = {"type": "string", "contentMediaType": "application/json", "contentSchema": event}
        if not path.startswith("/responses"):  # the Responses API ends with its terminal event, not [DONE]
            data = {"anyOf": [{"const": DONE}, data]}
        media["schema"] = {"type": "array", "items": {
            "type": "object", "required": ["data"], "properties": {"event": {"type": "string"}, "data": data}}}
        report.streams_described_per_event += 1


def _is_event_array(schema: dict[str, Any]) -> bool:
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, dict) and "data" in (items.get("properties") or {})
