"""The project's OpenAPI profile (spec/openapi.yaml): the one source of truth for request and response shapes.

``Document`` wraps any OpenAPI 3.1 document (the profile, or OpenAI's official document after normalization,
see suite/official/) so that its schemas validate instances with ``$ref``s resolved through a ``referencing``
registry, and so that its operations can be asked what they document: statuses, content types, the schema of a
body or of each event of a stream. The profile is loaded once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROFILE_URI = "urn:oaic:profile"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
DONE = "[DONE]"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 8x faster


def pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class BodyContract:
    """What one response content documents: the schema of the whole body, or of each SSE event's data."""

    content_type: str
    pointer: str | None  # JSON pointer of the schema in the document; None when nothing is documented
    per_event: bool = False  # text/event-stream: the schema applies to each event's JSON data
    done_allowed: bool = False  # an event's data may be the literal [DONE]


@dataclass(frozen=True)
class Operation:
    id: str
    method: str  # upper case
    path: str  # as in the document, e.g. /chat/completions/{completion_id}
    document: Document
    pointer: str  # JSON pointer of the operation object

    @property
    def raw(self) -> dict[str, Any]:
        return self.document.at(self.pointer)

    def parameters(self) -> list[dict[str, Any]]:
        """Path-level and operation-level parameters, references resolved (the operation's win)."""
        path_item = self.document.at(self.pointer.rsplit("/", 1)[0])
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for param in [*path_item.get("parameters", []), *self.raw.get("parameters", [])]:
            param = self.document.resolve(param)
            merged[(param.get("in", ""), param.get("name", ""))] = param
        return list(merged.values())

    def request_schema_pointer(self) -> str | None:
        body = self.raw.get("requestBody")
        if not body:
            return None
        body = self.document.resolve(body)
        if "application/json" not in body.get("content", {}):
            return None
        base = self._resolved_pointer(self.pointer + "/requestBody")
        return f"{base}/content/application~1json/schema"

    def documented_statuses(self) -> set[str]:
        return {str(status) for status in self.raw.get("responses", {})}

    def response(self, status: int) -> dict[str, BodyContract] | None:
        """The contents documented for ``status`` (exact code, then 2XX-style range, then default)."""
        responses = self.raw.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                base = self._resolved_pointer(f"{self.pointer}/responses/{key}")
                contents = self.document.at(base).get("content") or {}
                return {ctype: self._contract(ctype, f"{base}/content/{pointer_escape(ctype)}/schema")
                        for ctype in contents}
        return None

    def documents_status(self, status: int) -> bool:
        keys = self.documented_statuses()
        return str(status) in keys or f"{str(status)[0]}XX" in keys

    def _resolved_pointer(self, pointer: str) -> str:
        """Follow a $ref at ``pointer`` (responses and request bodies may be shared components)."""
        node = self.document.at(pointer)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            pointer = node["$ref"][1:]
            node = self.document.at(pointer)
        return pointer

    def _contract(self, content_type: str, pointer: str) -> BodyContract:
        try:
            schema = self.document.at(pointer)
        except KeyError:
            return BodyContract(content_type, None)
        if content_type == "text/event-stream":
            event_data = self.document.event_data(schema)
            if event_data is not None:
                return BodyContract(content_type, event_data[0], per_event=True, done_allowed=event_data[1])
        return BodyContract(content_type, self._resolved_pointer(pointer))


class Document:
    """An OpenAPI 3.1 document whose schemas can validate instances."""

    def __init__(self, data: dict[str, Any], uri: str) -> None:
        self.data = data
        self.uri = uri
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, Any] = {}  # jsonschema-rs validators by pointer (None: not available)
        self._fast_registry: Any = None

    @cached_property
    def registry(self) -> Registry:
        return Registry().with_resource(self.uri, Resource.from_contents(self.data, default_specification=DRAFT202012))

    # -- navigation ---------------------------------------------------------------------------------------
    def at(self, pointer: str) -> Any:
        node: Any = self.data
        for token in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                raise KeyError(f"{pointer} is not in the document")
        return node

    def resolve(self, node: Any) -> Any:
        """Follow local $refs until a node that is not a reference."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            if node["$ref"] in seen:
                raise ValueError(f"$ref cycle at {node['$ref']}")
            seen.add(node["$ref"])
            node = self.at(node["$ref"][1:])
        return node

    def schema_names(self) -> list[str]:
        return list(self.data.get("components", {}).get("schemas", {}))

    def operations(self) -> dict[str, Operation]:
        return {op.id: op for op in self._iter_operations()}

    def operation(self, operation_id: str) -> Operation:
        for op in self._iter_operations():
            if op.id == operation_id:
                return op
        raise KeyError(f"operation {operation_id!r} is not in the document")

    def _iter_operations(self) -> Iterator[Operation]:
        for path, item in (self.data.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict) and op.get("operationId"):
                    yield Operation(op["operationId"], method.upper(), path, self,
                                    f"/paths/{pointer_escape(path)}/{method}")

    def event_data(self, schema: Any) -> tuple[str, bool] | None:
        """For a stream described per event (array of {data: [DONE] | JSON of contentSchema}): the pointer of the
        event schema and whether [DONE] is allowed. None when the stream is not described that way."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or schema.get("type") != "array":
            return None
        items = self.resolve(schema.get("items"))
        data = self.resolve((items or {}).get("properties", {}).get("data")) if isinstance(items, dict) else None
        if not isinstance(data, dict):
            return None
        branches = data.get("anyOf") or data.get("oneOf") or [data]
        done = any(isinstance(b, dict) and (b.get("const") == DONE or DONE in (b.get("enum") or []))
                   for b in branches)
        for branch in branches:
            content = branch.get("contentSchema") if isinstance(branch, dict) else None
            if isinstance(content, dict):
                ref = content.get("$ref")
                if isinstance(ref, str) and ref.startswith("#"):
                    return ref[1:], done
        return None

    # -- validation ---------------------------------------------------------------------------------------
    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at ``pointer`` (a JSON pointer, or a component schema name)."""
        if not pointer.startswith("/"):
            if pointer not in self.data.get("components", {}).get("schemas", {}):
                raise KeyError(f"schema {pointer!r} is not in the document")
            pointer = f"/components/schemas/{pointer}"
        if pointer not in self._validators:
            self.at(pointer)  # KeyError now rather than a RefResolutionError later
            self._validators[pointer] = Draft202012Validator({"$ref": f"{self.uri}#{pointer}"},
                                                             registry=self.registry)
        return self._validators[pointer]

    def schema_errors(self, pointer: str, instance: Any, limit: int = 5) -> list[str]:
        """Readable violations: '<json pointer>: <what is wrong>' (empty when the instance is valid)."""
        if self.is_valid(pointer, instance):
            return []
        return describe_errors(self.validator(pointer).iter_errors(instance), limit)

    def is_valid(self, pointer: str, instance: Any) -> bool:
        """Whether the instance is valid; with jsonschema-rs when it is installed (hundreds of times faster than
        jsonschema, which still words the errors)."""
        fast = self._fast_validator(pointer)
        if fast is not None:
            try:
                return fast.is_valid(instance)
            except (ValueError, OverflowError, TypeError):  # e.g. an integer beyond 64 bits
                pass
        return self.validator(pointer).is_valid(instance)

    def _fast_validator(self, pointer: str) -> Any:
        if pointer not in self._fast:
            self._fast[pointer] = None
            rs = _jsonschema_rs()
            if rs is not None:
                self.validator(pointer)  # same errors for an unknown pointer as without jsonschema-rs
                target = pointer if pointer.startswith("/") else f"/components/schemas/{pointer}"
                try:
                    if self._fast_registry is None:
                        self._fast_registry = rs.Registry([(self.uri, self.data)])
                    self._fast[pointer] = rs.validator_for({"$ref": f"{self.uri}#{target}"},
                                                           registry=self._fast_registry, validate_formats=False)
                except (ValueError, rs.ReferencingError):
                    pass
        return self._fast[pointer]


@lru_cache(maxsize=1)
def _jsonschema_rs() -> Any:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs


def describe_errors(errors: Iterator[Any], limit: int = 5) -> list[str]:
    out = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))[:limit]:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        out.append(f"{pointer}: {_deepest_message(error)[:200]}")
    return out


def _deepest_message(error: Any) -> str:
    """For oneOf/anyOf failures, the message of the branch that came closest says more than 'is not valid'."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
        where = "/" + "/".join(str(p) for p in best.absolute_path)
        return f"{error.message[:80]} (closest: {where}: {best.message})"
    return error.message


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


@lru_cache(maxsize=1)
def profile() -> Document:
    text = resources.files("oaic.spec").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return Document(load_yaml(text), PROFILE_URI)


def document() -> dict[str, Any]:
    return profile().data


def validator(schema_name: str) -> Draft202012Validator:
    return profile().validator(schema_name)


def schema_errors(schema_name: str, instance: Any, limit: int = 5) -> list[str]:
    """Violations of the profile's component schema ``schema_name`` (empty when the instance is valid)."""
    return profile().schema_errors(schema_name, instance, limit)
