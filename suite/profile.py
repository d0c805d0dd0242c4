"""The project's OpenAPI profile (spec/openapi.yaml): the one source of truth for response shapes.

Loaded once per process; validators are built per component schema with a ``referencing`` registry so
``$ref``s between components resolve without copying schemas around.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROFILE_URI = "urn:oaic:profile"


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    text = resources.files("suite.spec").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Registry().with_resource(PROFILE_URI, Resource.from_contents(document(), default_specification=DRAFT202012))


@lru_cache(maxsize=None)
def validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in document()["components"]["schemas"]:
        raise KeyError(f"schema {schema_name!r} is not in the profile")
    schema = {"$ref": f"{PROFILE_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(schema_name: str, instance: Any, limit: int = 5) -> list[str]:
    """Readable violations: '<json pointer>: <what is wrong>' (empty when the instance is valid)."""
    errors = sorted(validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors[:limit]:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        out.append(f"{pointer}: {error.message[:200]}")
    return out
