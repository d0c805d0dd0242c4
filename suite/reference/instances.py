"""A small JSON value that is valid against a JSON Schema: the reference provider's structured output and tool
arguments. Covers what tool parameters and response schemas use in practice (objects, arrays, scalars, enum,
const, anyOf/oneOf/allOf, local $ref, length and range bounds)."""

from __future__ import annotations

from typing import Any

from .text import WORDS, digest


def instance(schema: Any, hint: str = "", root: Any = None, depth: int = 0) -> Any:
    """A value valid against ``schema``; ``hint`` is text from the prompt used for the first free string."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 12:
        return {}
    if "$ref" in schema:
        return instance(_resolve(root, schema["$ref"]), hint, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return instance(schema[key][0], hint, root, depth + 1)
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = instance(part, hint, root, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            else:
                return value
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _BUILDERS.get(kind, _string)(schema, hint, root, depth)


def _object(schema: dict, hint: str, root: Any, depth: int) -> dict:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    out = {}
    for name in required:
        out[name] = instance(properties.get(name, {}), hint if not out else "", root, depth + 1)
    minimum = schema.get("minProperties", 0)
    for name, sub in properties.items():
        if len(out) >= minimum:
            break
        out.setdefault(name, instance(sub, "", root, depth + 1))
    return out


def _array(schema: dict, hint: str, root: Any, depth: int) -> list:
    low, high = schema.get("minItems"), schema.get("maxItems")
    count = max(low, 1) if isinstance(low, int) else 1
    if isinstance(high, int):
        count = min(count, high)
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
    items = [instance(p, "", root, depth + 1) for p in prefix[:count]]
    while len(items) < count:
        items.append(instance(schema.get("items", {}), hint, root, depth + 1))
    if schema.get("uniqueItems") and len(items) > 1 and all(isinstance(i, str) for i in items):
        items = [f"{item}{n}" if n else item for n, item in enumerate(items)]
    return items


def _string(schema: dict, hint: str, root: Any, depth: int) -> str:
    fmt = schema.get("format")
    value = {"date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z", "time": "00:00:00", "email": "a@example.com",
             "uri": "https://example.com", "uuid": "00000000-0000-4000-8000-000000000000"}.get(fmt)
    if value is None:
        value = hint or WORDS[digest(str(schema)) % len(WORDS)]
    minimum, maximum = int(schema.get("minLength", 0) or 0), schema.get("maxLength")
    while len(value) < minimum:
        value += "a"
    if isinstance(maximum, int):
        value = value[:maximum]
    return value


def _number(schema: dict, hint: str, root: Any, depth: int) -> float | int:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1
    if isinstance(low, (int, float)) and not isinstance(low, bool):
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, (int, float)) and not isinstance(high, bool) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple > 0:
        value = multiple * max(1, round(value / multiple))
    return int(value) if schema.get("type") == "integer" or float(value).is_integer() else value


def _boolean(schema: dict, hint: str, root: Any, depth: int) -> bool:
    return True


def _null(schema: dict, hint: str, root: Any, depth: int) -> None:
    return None


_BUILDERS = {"object": _object, "array": _array, "string": _string, "number": _number, "integer": _number,
             "boolean": _boolean, "null": _null}


def _resolve(root: Any, ref: str) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}
    node = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node
