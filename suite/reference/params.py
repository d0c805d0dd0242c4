"""Reading request parameters the way OpenAI validates them: 400 with the offending ``param`` and OpenAI's codes
(missing_required_parameter, invalid_type, invalid_value, decimal_above_max_value, integer_below_min_value …)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .wire import APIError

_MISSING = object()
TYPE_NAMES = {"number": "a decimal", "integer": "an integer", "boolean": "a boolean", "string": "a string",
              "array": "an array", "object": "an object"}


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _fits(value: Any, kind: str) -> bool:
    actual = type_of(value)
    return actual == kind or (kind == "number" and actual == "integer")


def invalid_type(param: str, value: Any, kinds: Iterable[str]) -> APIError:
    expected = " or ".join(TYPE_NAMES.get(k, k) for k in kinds)
    got = TYPE_NAMES.get(type_of(value), type_of(value))
    return APIError(400, f"Invalid type for '{param}': expected {expected}, but got {got} instead.", param,
                    "invalid_type")


def invalid_value(param: str, value: Any, allowed: Iterable[Any]) -> APIError:
    names = ", ".join(f"'{a}'" for a in allowed)
    return APIError(400, f"Invalid value: '{value}'. Supported values are: {names}.", param, "invalid_value")


class Params:
    """The parameters of one JSON object in a request; ``where`` is its param path prefix (e.g. "messages[0].")."""

    def __init__(self, body: dict, known: Iterable[str] | None = None, where: str = "") -> None:
        self.body = body
        self.where = where
        if known is not None:
            for name in body:
                if name not in known:
                    raise APIError(400, f"Unrecognized request argument supplied: {where}{name}", where + name,
                                   "unknown_parameter")

    def name(self, key: str) -> str:
        return self.where + key

    def value(self, key: str, kinds: tuple[str, ...], default: Any = None, required: bool = False,
              nullable: bool = True) -> Any:
        value = self.body.get(key, _MISSING)
        if value is _MISSING or (value is None and nullable and not required):
            if required:
                raise APIError(400, f"Missing required parameter: '{self.name(key)}'.", self.name(key),
                               "missing_required_parameter")
            return default
        if not any(_fits(value, k) for k in kinds):
            raise invalid_type(self.name(key), value, kinds)
        return value

    def number(self, key: str, low: float | None = None, high: float | None = None, default: Any = None,
               integer: bool = False, required: bool = False) -> Any:
        value = self.value(key, ("integer",) if integer else ("number",), default, required)
        if self.body.get(key) is None:
            return value
        word = "integer" if integer else "decimal"
        if low is not None and value < low:
            raise APIError(400, f"Invalid '{self.name(key)}': {word} below minimum value. Expected a value >= "
                                f"{_num(low)}, but got {_num(value)} instead.", self.name(key), f"{word}_below_min_value")
        if high is not None and value > high:
            raise APIError(400, f"Invalid '{self.name(key)}': {word} above maximum value. Expected a value <= "
                                f"{_num(high)}, but got {_num(value)} instead.", self.name(key), f"{word}_above_max_value")
        return value

    def integer(self, key: str, low: int | None = None, high: int | None = None, default: Any = None,
                required: bool = False) -> Any:
        return self.number(key, low, high, default, integer=True, required=required)

    def boolean(self, key: str, default: Any = None) -> Any:
        return self.value(key, ("boolean",), default)

    def string(self, key: str, default: Any = None, required: bool = False, allowed: Iterable[str] | None = None,
               non_empty: bool = False) -> Any:
        value = self.value(key, ("string",), default, required)
        if allowed is not None and value is not None and value not in allowed:
            raise invalid_value(self.name(key), value, allowed)
        if non_empty and value == "":
            raise APIError(400, f"Invalid '{self.name(key)}': empty string. Expected a string with minimum length 1, "
                                f"but got an empty string instead.", self.name(key), "empty_string")
        return value

    def array(self, key: str, default: Any = None, required: bool = False, min_items: int = 0,
              max_items: int | None = None) -> Any:
        value = self.value(key, ("array",), default, required)
        if self.body.get(key) is None:
            return value
        if len(value) < min_items:
            raise APIError(400, f"Invalid '{self.name(key)}': empty array. Expected an array with minimum length "
                                f"{min_items}, but got an empty array instead.", self.name(key), "empty_array")
        if max_items is not None and len(value) > max_items:
            raise APIError(400, f"Invalid '{self.name(key)}': array too long. Expected an array with maximum "
                                f"length {max_items}, but got an array with length {len(value)} instead.",
                           self.name(key), "array_above_max_length")
        return value

    def object(self, key: str, default: Any = None, required: bool = False) -> Any:
        return self.value(key, ("object",), default, required)


def metadata(params: Params, key: str = "metadata") -> dict[str, str] | None:
    """OpenAI's metadata: at most 16 pairs, keys up to 64 and values up to 512 characters, all strings."""
    value = params.object(key)
    if value is None:
        return None
    if len(value) > 16:
        raise APIError(400, f"Invalid '{params.name(key)}': too many properties. Expected an object with at most "
                            f"16 properties, but got an object with {len(value)} properties instead.",
                       params.name(key), "object_above_max_properties")
    for name, item in value.items():
        if len(name) > 64:
            raise APIError(400, f"Invalid '{params.name(key)}': key '{name[:70]}' is longer than 64 characters.",
                           params.name(key), "invalid_value")
        if not isinstance(item, str):
            raise invalid_type(f"{params.name(key)}.{name}", item, ("string",))
        if len(item) > 512:
            raise APIError(400, f"Invalid '{params.name(key)}.{name}': string too long. Expected a string with "
                                f"maximum length 512.", f"{params.name(key)}.{name}", "string_above_max_length")
    return dict(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
