"""The requirement catalogue: data in spec/requirements/*.yaml, one file per area.

Each requirement has a stable dotted ID, a level (MUST/SHOULD/MAY), the capability a target must claim for it to
apply, a title, one sentence on what OpenAI does, and a reference (operationId, schema, or a seed transcript).
The human-readable catalogue (spec/REQUIREMENTS.md) is generated from this data by ``oaic requirements --markdown``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from .capabilities import CAPABILITIES

# libyaml's loader when PyYAML has it: the catalogue is read at the start of every run (10x faster than pure Python).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LEVELS = ("MUST", "SHOULD", "MAY")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_-]*)+$")
FIELDS = ("id", "level", "capability", "title", "openai", "reference")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    area: str
    capability: str
    title: str
    openai: str
    reference: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


class Catalogue:
    def __init__(self, requirements: Iterable[Requirement]) -> None:
        self._matches: dict[str, list[Requirement]] = {}
        self.by_id: dict[str, Requirement] = {}
        for req in requirements:
            if req.id in self.by_id:
                raise CatalogueError(f"duplicate requirement id {req.id}")
            self.by_id[req.id] = req

    def __iter__(self):
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, requirement_id: str) -> bool:
        return requirement_id in self.by_id

    def get(self, requirement_id: str) -> Requirement:
        try:
            return self.by_id[requirement_id]
        except KeyError:
            raise KeyError(f"requirement {requirement_id!r} is not in the catalogue") from None

    @property
    def areas(self) -> list[str]:
        return sorted({r.area for r in self})

    def matching(self, pattern: str) -> list[Requirement]:
        # Called for every scenario's covers() patterns at collection: remember the answers.
        if pattern not in self._matches:
            self._matches[pattern] = [r for r in self if fnmatch.fnmatchcase(r.id, pattern)]
        return self._matches[pattern]

    def select(self, only: list[str] | None = None, skip: list[str] | None = None) -> set[str]:
        """IDs selected by --only/--skip globs. Raises CatalogueError naming a pattern that matches nothing."""
        for pattern in (only or []) + (skip or []):
            if not self.matching(pattern):
                raise CatalogueError(f"pattern {pattern!r} matches no requirement (see: oaic requirements)")
        ids = {r.id for r in self} if not only else {r.id for p in only for r in self.matching(p)}
        for pattern in skip or []:
            ids -= {r.id for r in self.matching(pattern)}
        return ids


def parse_area(text: str, source: str) -> list[Requirement]:
    data = yaml.load(text, Loader=_SAFE_LOADER)
    if not isinstance(data, dict) or "area" not in data or not isinstance(data.get("requirements"), list):
        raise CatalogueError(f"{source}: expected a mapping with 'area' and a 'requirements' list")
    area = data["area"]
    out = []
    for index, entry in enumerate(data["requirements"]):
        where = f"{source} entry {index}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: not a mapping")
        missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry.get(f).strip()]
        if missing:
            raise CatalogueError(f"{where} ({entry.get('id')}): missing or empty {', '.join(missing)}")
        extra = sorted(set(entry) - set(FIELDS))
        if extra:
            raise CatalogueError(f"{where} ({entry['id']}): unknown field {extra[0]!r}")
        if not ID_PATTERN.match(entry["id"]) or not entry["id"].startswith(area + "."):
            raise CatalogueError(f"{where}: id {entry['id']!r} must be a dotted slug starting with {area!r}.")
        if entry["level"] not in LEVELS:
            raise CatalogueError(f"{where} ({entry['id']}): level must be one of {LEVELS}")
        if entry["capability"] not in CAPABILITIES:
            raise CatalogueError(f"{where} ({entry['id']}): unknown capability {entry['capability']!r}")
        out.append(Requirement(area=area, **{f: " ".join(entry[f].split()) for f in FIELDS}))
    return out


@lru_cache(maxsize=1)
def load() -> Catalogue:
    folder = resources.files("oaic.spec").joinpath("requirements")
    requirements: list[Requirement] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            requirements.extend(parse_area(item.read_text(encoding="utf-8"), f"spec/requirements/{item.name}"))
    return Catalogue(requirements)


def markdown(catalogue: Catalogue) -> str:
    """The catalogue document. Generated; never edit the output by hand."""
    lines = [
        "# Requirement catalogue",
        "",
        "Generated by `oaic requirements --markdown` from `spec/requirements/*.yaml`. Do not edit by hand.",
        "",
        f"{len(catalogue)} requirements: "
        + ", ".join(f"{sum(1 for r in catalogue if r.level == lvl)} {lvl}" for lvl in LEVELS) + ".",
        "",
        "Levels follow RFC 2119: a broken MUST is a **fail**, a broken SHOULD or MAY is a **warn** "
        "(counted as a failure with `--strict`). A requirement whose capability the target does not claim is a "
        "**skip**.",
        "",
    ]
    for area in catalogue.areas:
        lines += [f"## {area}", "", "| ID | level | capability | requirement | what OpenAI does | reference |",
                  "|---|---|---|---|---|---|"]
        for r in catalogue:
            if r.area == area:
                cells = [f"`{r.id}`", r.level, r.capability, r.title, r.openai, r.reference]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
