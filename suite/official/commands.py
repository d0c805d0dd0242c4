"""`oaic spec diff` and `oaic spec normalize`: the official document against the profile, and normalized."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError


def add_parser(commands: Any) -> None:
    spec = commands.add_parser("spec", help="compare the profile with OpenAI's OpenAPI document, or normalize it")
    actions = spec.add_subparsers(dest="spec_command", metavar="ACTION", parser_class=type(spec))
    diff = actions.add_parser("diff", help="where the profile and the official document disagree (exit 1 on an "
                                           "unrecorded difference in a core schema)")
    diff.add_argument("--official", required=True, metavar="PATH_OR_URL", help="OpenAI's OpenAPI document")
    diff.add_argument("--all", action="store_true", help="also show the differences recorded as deliberate")
    normalize = actions.add_parser("normalize", help="write the official document normalized for testing")
    normalize.add_argument("--official", required=True, metavar="PATH_OR_URL", help="OpenAI's OpenAPI document")
    normalize.add_argument("--out", required=True, metavar="FILE", help="where to write the normalized JSON")


def run(args: argparse.Namespace) -> int:
    if args.spec_command == "diff":
        return _diff(args.official, args.all)
    if args.spec_command == "normalize":
        return _normalize(args.official, args.out)
    raise UsageError("spec: give an action: diff or normalize")


def _diff(source: str, show_all: bool) -> int:
    from ..profile import profile
    from . import load_official
    from .diff import Decisions, drift

    try:
        decisions = Decisions.load()
    except (KeyError, ValueError) as exc:
        raise UsageError(f"spec/deliberate-differences.yaml: {exc}") from None
    report = drift(profile(), load_official(source), decisions)
    print("\n".join(report.lines(show_all)))
    unrecorded = report.unrecorded_core()
    if unrecorded:
        print(f"oaic spec diff: {len(unrecorded)} difference(s) in core schemas are not recorded in "
              f"spec/deliberate-differences.yaml: align the profile or record why it differs", file=sys.stderr)
        return 1
    return 0


def _normalize(source: str, out: str) -> int:
    from .cache import normalize_source
    from .source import read_source

    data, report = normalize_source(read_source(source), source)
    try:
        Path(out).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print("\n".join(report.lines()))
    print(f"normalized document written to {out}")
    return 0
