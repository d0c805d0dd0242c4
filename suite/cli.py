"""The ``oaic`` command: run | serve | requirements | capabilities | report | spec.

Usage errors print one line ``oaic: error: ...`` on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import UsageError
from .options import OPTIONS, target_flags

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too; keep it short)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oaic", description="Conformance suite for OpenAI-compatible APIs.")
    parser.add_argument("--version", action="version", version=f"oaic {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # No abbreviations: `--api-key sk-...` must never be taken for `--api-key-env`.

    run = commands.add_parser("run", help="run the conformance suite against a target (or replay a recording)")
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": option.dest, "help": option.help}
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
            if option.kind == "append":
                kwargs["action"] = "append"
        run.add_argument(f"--{option.name}", **kwargs)
    run.add_argument("-v", "--verbose", action="store_true", help="show every finding of failed requirements")
    run.add_argument("--pytest-args", default="", metavar="ARGS",
                     help="extra arguments passed to pytest, e.g. '-x -k stream'")

    req = commands.add_parser("requirements", help="list the requirement catalogue")
    req.add_argument("--area", help="only this area")
    req.add_argument("--level", choices=["MUST", "SHOULD", "MAY"], help="only this level")
    req.add_argument("--markdown", action="store_true", help="write the catalogue document (Markdown)")
    req.add_argument("--json", action="store_true", help="the catalogue as JSON")

    commands.add_parser("capabilities", help="list the capabilities a target may claim")

    report = commands.add_parser("report", help="show a results.json again, compare two, or tabulate several")
    report.add_argument("files", nargs="+", metavar="RESULTS_JSON")
    report.add_argument("--diff", action="store_true", help="verdict changes from the first file to the second "
                                                             "(exit 1 when something regressed)")
    report.add_argument("--matrix", action="store_true", help="a Markdown table of verdicts, one column per file")
    report.add_argument("-v", "--verbose", action="store_true")

    serve = commands.add_parser("serve", help="serve the reference OpenAI-compatible provider")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api-key-env", metavar="NAME", help="require the key held in this environment variable")
    serve.add_argument("--fault", action="append", metavar="NAME", help="inject a named fault (repeatable)")
    serve.add_argument("--list-faults", action="store_true", help="list the fault catalogue and exit")
    serve.add_argument("--replay", metavar="DIR", help="serve this recording instead of the reference provider")
    serve.add_argument("--fast", action="store_true", help="with --replay: send streams at once, not at recorded pace")

    from .official import commands as spec_commands

    spec_commands.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        handler = {"run": cmd_run, "requirements": cmd_requirements, "capabilities": cmd_capabilities,
                   "serve": cmd_serve, "report": cmd_report, "spec": cmd_spec}[args.command]
        return handler(args)
    except UsageError as exc:
        print(f"oaic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("oaic: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `oaic requirements | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def cmd_requirements(args: argparse.Namespace) -> int:
    from .catalogue import load, markdown

    catalogue = load()
    if args.area and args.area not in catalogue.areas:
        raise UsageError(f"unknown area {args.area!r} (areas: {', '.join(catalogue.areas)})")
    if args.markdown:
        sys.stdout.write(markdown(catalogue) + "\n")
        return 0
    chosen = [r for r in catalogue if (not args.area or r.area == args.area) and (not args.level or r.level == args.level)]
    if args.json:
        import json

        print(json.dumps([r.to_json() for r in chosen], indent=2))
        return 0
    width = max((len(r.id) for r in chosen), default=10)
    for r in chosen:
        print(f"{r.id.ljust(width)}  {r.level:<6}  {r.capability:<18}  {r.title}")
    print(f"{len(chosen)} requirements")
    return 0


def cmd_capabilities(args: argparse.Namespace) -> int:
    from .capabilities import CAPABILITIES, DEFAULT_CAPABILITIES

    for name, text in CAPABILITIES.items():
        print(f"{name:<22} {text}{'  (default with a chat model)' if name in DEFAULT_CAPABILITIES else ''}")
    return 0


def _read_results(path: str) -> dict[str, Any]:
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), list):
        raise UsageError(f"{path} is not an oaic results.json")
    return data


def cmd_report(args: argparse.Namespace) -> int:
    from .report import compare

    files = [(path, _read_results(path)) for path in args.files]
    if args.diff:
        if len(files) != 2:
            raise UsageError("--diff takes exactly two results files: OLD NEW")
        text, worse = compare.diff(files[0][1], files[1][1])
        sys.stdout.write(text)
        return 1 if worse else 0
    if args.matrix:
        sys.stdout.write(compare.matrix(files))
        return 0
    if len(files) != 1:
        raise UsageError("give one results.json (or --diff OLD NEW, or --matrix FILE...)")
    from .catalogue import load
    from .report import terminal
    from .results import from_json

    try:
        results = from_json(files[0][1], load())
    except (ValueError, KeyError) as exc:
        raise UsageError(f"{args.files[0]}: {exc}") from None
    sys.stdout.write(terminal.render(results, verbose=args.verbose))
    return results.exit_code()


def cmd_spec(args: argparse.Namespace) -> int:
    from .official import commands as spec_commands

    return spec_commands.run(args)


def cmd_serve(args: argparse.Namespace) -> int:
    if args.replay:
        from .clients.replay_server import serve_recording

        return serve_recording(args.replay, host=args.host, port=args.port, fast=args.fast)
    from .reference.server import serve

    return serve(host=args.host, port=args.port, api_key_env=args.api_key_env, faults=args.fault or [],
                 list_faults=args.list_faults)


def cmd_run(args: argparse.Namespace) -> int:
    from .catalogue import CatalogueError, load
    from .target import build_target
    from .transport import Transport

    values = vars(args)
    try:
        load().select(values.get("only"), values.get("skip"))
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    if values.get("record") and values.get("replay"):
        raise UsageError("--record and --replay cannot be used together")
    from .properties.phase import check_options

    check_options(values)
    from .clients import check as check_client
    check_client(values)
    flags = target_flags(values)
    has_target = any(flags.get(k) for k in ("base_url", "target")) or os.environ.get("OAIC_BASE_URL") \
        or os.environ.get("OAIC_TARGET")
    if not values.get("replay") and not has_target:
        from .recording import default_recording

        values["replay"] = str(default_recording())
        print(f"oaic: no target given: replaying the bundled recording {values['replay']}", file=sys.stderr)
    if not values.get("replay"):
        target = build_target(flags)
        Transport(target).preflight()
    from .clients import prestart
    from .runner import run_suite

    prestart(values)
    return run_suite(values).exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
