"""The drift check: where the project's profile and OpenAI's (normalized) official document disagree.

Each profile component schema that has a namesake in the official document is compared field by field:
properties missing on either side, types, nullability, enums, required lists; then the comparison descends into
common properties and array items. A difference in a core schema (the shapes the checks rely on, and every schema
they reference) fails the check unless spec/deliberate-differences.yaml records it with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..profile import Document, load_yaml

MAX_DEPTH = 12
KINDS = ("missing-field", "extra-field", "type", "nullable", "enum", "required-missing", "required-extra")


@dataclass(frozen=True)
class Difference:
    schema: str  # the profile's component schema
    path: str  # where inside it, e.g. "choices[].message.refusal" ("" for the schema itself)
    kind: str  # one of KINDS
    detail: str  # what each side says

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.path, self.kind)

    def where(self) -> str:
        return f"{self.schema}.{self.path}" if self.path else self.schema


@dataclass(frozen=True)
class Deliberate:
    schema: str
    path: str
    kind: str
    reason: str


@dataclass
class Decisions:
    """spec/deliberate-differences.yaml: the core schemas and the differences chosen on purpose."""

    core: list[str]
    entries: dict[tuple[str, str, str], Deliberate] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None = None) -> Decisions:
        if text is None:
            text = resources.files("oaic.spec").joinpath("deliberate-differences.yaml").read_text(encoding="utf-8")
        data = load_yaml(text) or {}
        entries = {}
        for item in data.get("differences") or []:
            entry = Deliberate(item["schema"], item.get("path", ""), item["kind"], " ".join(str(item["reason"]).split()))
            if entry.kind not in KINDS:
                raise ValueError(f"deliberate difference {entry.schema}.{entry.path}: unknown kind {entry.kind!r}")
            if not entry.reason:
                raise ValueError(f"deliberate difference {entry.schema}.{entry.path} has no reason")
            entries[(entry.schema, entry.path, entry.kind)] = entry
        return cls(list(data.get("core") or []), entries)


@dataclass
class Shape:
    """What one schema node says, with references followed, allOf merged and nullability factored out."""

    types: set[str] = field(default_factory=set)
    nullable: bool = False
    enum: set[Any] | None = None
    properties: dict[str, Any] | None = None
    required: set[str] = field(default_factory=set)
    items: Any = None
    ref: str | None = None  # the component the node is, when it is a plain reference
    branches: list[Any] = field(default_factory=list)


def shape(document: Document, node: Any) -> Shape:
    out = Shape()
    _collect(document, node, out, 0, top=True)
    if out.enum is not None and None in out.enum:
        out.enum.discard(None)
        out.nullable = True
    if "null" in out.types:
        out.types.discard("null")
        out.nullable = True
    if not out.types and out.enum:
        out.types = {_json_type(v) for v in out.enum}
    if not out.types and out.properties is not None:
        out.types = {"object"}
    return out


def _collect(document: Document, node: Any, out: Shape, depth: int, top: bool = False) -> None:
    """Merge what ``node`` says into ``out``; ``top``: the node stands for the whole schema (not a part of it)."""
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        if top:
            out.ref = ref.rsplit("/", 1)[-1]
        _collect(document, document.at(ref[1:]), out, depth + 1)
    kind = node.get("type")
    out.types |= set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    if "const" in node:
        out.enum = (out.enum or set()) | {_hashable(node["const"])}
    if isinstance(node.get("enum"), list):
        out.enum = (out.enum or set()) | {_hashable(v) for v in node["enum"]}
    if isinstance(node.get("properties"), dict):
        out.properties = {**(out.properties or {}), **node["properties"]}
    out.required |= {r for r in node.get("required") or [] if isinstance(r, str)}
    if "items" in node and isinstance(node["items"], dict):
        out.items = node["items"]
    for part in node.get("allOf") or []:
        _collect(document, part, out, depth + 1)
    branches = [b for b in node.get("anyOf") or node.get("oneOf") or [] if isinstance(b, dict)]
    non_null = [b for b in branches if b.get("type") != "null"]
    if len(non_null) < len(branches):
        out.nullable = True
    if len(non_null) == 1:
        _collect(document, non_null[0], out, depth + 1, top=top and len(branches) == 2)
    elif non_null:
        out.branches += non_null
        for branch in non_null:
            branch_shape = shape(document, branch)
            out.types |= branch_shape.types
            out.nullable |= branch_shape.nullable


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value), "object")


def _show(values: set[Any]) -> str:
    return "[" + ", ".join(sorted(map(str, values))) + "]"


class Comparison:
    def __init__(self, profile: Document, official: Document, names: dict[str, str]) -> None:
        self.profile, self.official, self.names = profile, official, names
        self.differences: list[Difference] = []

    def run(self) -> list[Difference]:
        for name, official_name in self.names.items():
            self._compare(name, "", {"$ref": f"#/components/schemas/{name}"},
                          {"$ref": f"#/components/schemas/{official_name}"}, 0)
        return self.differences

    def _add(self, schema: str, path: str, kind: str, detail: str) -> None:
        self.differences.append(Difference(schema, path, kind, detail))

    def _compare(self, schema: str, path: str, mine: Any, theirs: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        a, b = shape(self.profile, mine), shape(self.official, theirs)
        if depth and a.ref and a.ref in self.names and b.ref == self.names[a.ref]:
            return  # compared on its own
        if a.types and b.types and a.types != b.types and not (a.branches or b.branches):
            self._add(schema, path, "type", f"profile {_show(a.types)}, official {_show(b.types)}")
        if a.nullable != b.nullable:
            self._add(schema, path, "nullable", f"null is {'accepted' if a.nullable else 'rejected'} by the "
                                                f"profile, {'accepted' if b.nullable else 'rejected'} officially")
        if a.enum is not None and b.enum is not None and a.enum != b.enum:
            only_mine, only_theirs = a.enum - b.enum, b.enum - a.enum
            self._add(schema, path, "enum", "; ".join(filter(None, (
                f"only in the profile: {_show(only_mine)}" if only_mine else "",
                f"only official: {_show(only_theirs)}" if only_theirs else ""))))
        elif (a.enum is None) != (b.enum is None) and not (a.branches or b.branches):
            restricted = "the profile" if a.enum is not None else "the official document"
            values = a.enum if a.enum is not None else b.enum
            self._add(schema, path, "enum", f"only {restricted} restricts the values, to {_show(values or set())}")
        if a.properties is not None and b.properties is not None:
            for name in sorted(set(b.properties) - set(a.properties)):
                self._add(schema, _join(path, name), "missing-field", "official field the profile does not describe")
            for name in sorted(set(a.properties) - set(b.properties)):
                self._add(schema, _join(path, name), "extra-field", "profile field the official document lacks")
            for name in sorted(b.required - a.required):
                self._add(schema, _join(path, name), "required-missing", "required officially, optional in the profile")
            for name in sorted(a.required - b.required):
                self._add(schema, _join(path, name), "required-extra", "required by the profile, optional officially")
            for name in sorted(set(a.properties) & set(b.properties)):
                self._compare(schema, _join(path, name), a.properties[name], b.properties[name], depth + 1)
        if a.items is not None and b.items is not None:
            self._compare(schema, path + "[]", a.items, b.items, depth + 1)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def core_closure(profile: Document, core: list[str]) -> set[str]:
    """The core schemas and every profile schema they reference."""
    seen: set[str] = set()
    todo = [name for name in core if name in profile.schema_names()]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [ref.rsplit("/", 1)[-1] for ref in _refs(profile.data["components"]["schemas"][name])]
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


@dataclass
class DriftReport:
    differences: list[Difference]
    core: set[str]
    decisions: Decisions
    compared: list[str]

    def unrecorded_core(self) -> list[Difference]:
        return [d for d in self.differences if d.schema in self.core and d.key not in self.decisions.entries]

    def stale(self) -> list[Deliberate]:
        """Recorded differences that no longer occur (the document changed, or the profile did)."""
        found = {d.key for d in self.differences}
        return [e for key, e in self.decisions.entries.items() if key not in found]

    def lines(self, show_all: bool = False) -> list[str]:
        out = []
        for d in self.differences:
            recorded = self.decisions.entries.get(d.key)
            core = d.schema in self.core
            if recorded and not show_all:
                continue
            tag = "deliberate" if recorded else ("CORE" if core else "note")
            out.append(f"{tag:<10} {d.where()}  {d.kind}: {d.detail}"
                       + (f"  (reason: {recorded.reason})" if recorded and show_all else ""))
        for entry in self.stale():
            out.append(f"{'stale':<10} {entry.schema}.{entry.path}  {entry.kind}: recorded as deliberate but the "
                       f"documents no longer differ here")
        recorded = sum(1 for d in self.differences if d.key in self.decisions.entries)
        core_count = sum(1 for d in self.differences if d.schema in self.core)
        out.append(f"{len(self.compared)} schemas compared, {len(self.differences)} differences "
                   f"({core_count} in core schemas, {recorded} recorded as deliberate); "
                   f"{len(self.unrecorded_core())} core differences not recorded")
        return out


def drift(profile: Document, official: Document, decisions: Decisions) -> DriftReport:
    official_names = set(official.schema_names())
    names = {name: name for name in profile.schema_names() if name in official_names}
    differences = Comparison(profile, official, names).run()
    return DriftReport(differences, core_closure(profile, decisions.core), decisions, sorted(names))
