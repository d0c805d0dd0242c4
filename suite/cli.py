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
from .options import ENVIRONMENT, OPTIONS

EXIT_USAGE = 2

RUN_DESCRIPTION = """\
Run the conformance suite against an OpenAI-compatible API and report, per requirement, pass / fail / warn /
skip / unsupported / error, with the evidence. With no target it replays the bundled recording of a real server
offline. Each run writes results.json, junit.xml and report.html into --report-dir."""


def _run_epilog() -> str:
    width = max(len(name) for name in ENVIRONMENT)
    env = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in ENVIRONMENT.items())
    return f"""\
environment (flags win over OAIC_* variables, which win over the --target profile):
{env}

exit codes:
  0    CONFORMANT: no MUST requirement failed (nor a SHOULD with --strict), and everything supported was judged
  1    NOT CONFORMANT: a requirement failed
  2    usage error, bad profile, or a target that cannot be reached (one line on stderr)
  3    INCOMPLETE: no failure, but something the target supports was not judged (error, budget, not
       recorded), or nothing was judged at all
  130  interrupted (Ctrl-C or SIGTERM): partial reports go to REPORT_DIR/interrupted

several targets (--target a.toml --target b.toml ...):
  one `oaic run` process per target, side by side, each line prefixed with the target's name; reports in
  REPORT_DIR/NAME/ (NAME: the profile's name, else its file name), and the matrix in REPORT_DIR/matrix.html and
  matrix.md. The exit code is the worst of the targets': 2 (usage error, or a run that crashed), then 130, 1, 3,
  0. --record DIR records each target into DIR/NAME; --replay and --save-profile take one target.

examples:
  oaic run                                                   # replay the bundled recording, offline
  OAIC_API_KEY=sk-... oaic run --base-url https://api.example.com/v1 --model m --capabilities all
  oaic run --target provider.toml --record recordings/provider  # then: oaic run --replay recordings/provider
  oaic run --target a.toml --target b.toml --report-dir reports  # reports/a, reports/b, reports/matrix.html
  oaic run --max-failures 5                                  # stop after 5 failed requirements (exit 1)"""


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

    run = commands.add_parser("run", help="run the conformance suite against a target (or replay a recording)",
                              description=RUN_DESCRIPTION, epilog=_run_epilog(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": option.dest, "help": option.help}
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
            if option.kind == "append":
                kwargs["action"] = "append"
        if option.name == "target":  # repeated: several targets side by side (targets.py)
            kwargs.update(action="append", help=option.help + "; repeat it to run several targets side by side")
        run.add_argument(f"--{option.name}", **kwargs)
    run.add_argument("-v", "--verbose", action="store_true", help="show every finding of failed requirements")
    run.add_argument("--jobs", default="1", metavar="N",
                     help="run the scenarios in N worker processes (pytest-xdist): faster against a slow target; "
                          "budgets and --rps stay the run's, one report (default 1)")
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
    report.add_argument("--matrix", action="store_true", help="requirements x targets, one column per file "
                                                               "(Markdown; HTML with -o FILE.html)")
    report.add_argument("-o", "--output", metavar="FILE", help="write HTML to FILE (Markdown for --matrix -o X.md): "
                                                               "the report page, the matrix or the diff")
    report.add_argument("-v", "--verbose", action="store_true", help="show every finding of failed requirements")

    serve = commands.add_parser("serve", help="serve the reference OpenAI-compatible provider")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--api-key-env", metavar="NAME", help="require the key held in this environment variable")
    serve.add_argument("--fault", action="append", metavar="NAME", help="inject a named fault (repeatable)")
    serve.add_argument("--list-faults", action="store_true", help="list the fault catalogue and exit")
    serve.add_argument("--routes", metavar="AREAS", help="serve only these API areas, comma-separated (models, chat, "
                                                          "stored, completions, embeddings, responses)")
    serve.add_argument("--unknown-routes", choices=("openai", "detail"), default="openai",
                       help='how unknown and unserved paths answer: 404 in OpenAI\'s error shape, or '
                            '{"detail": "Not Found"} as FastAPI servers do')
    serve.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
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
        if args.output:
            compare.write_page(args.output, compare.diff_html(files[0][1], files[1][1]))
        return 1 if worse else 0
    if args.matrix:
        compare.write_matrix(files, args.output, sys.stdout)
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
    if args.output:
        from .report import html

        compare.write_page(args.output, html.render(results))
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
                 list_faults=args.list_faults, routes=args.routes, unknown_routes=args.unknown_routes,
                 latency=args.latency)


def cmd_run(args: argparse.Namespace) -> int:
    import signal

    from .runner import run_suite

    def stop(signum: int, frame: Any) -> None:  # SIGTERM ends a run like Ctrl-C: partial reports, no traceback
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    values = vars(args)
    if len(values.get("target") or []) > 1:
        from .targets import run_targets

        return run_targets(values)
    values["target"] = (values.get("target") or [None])[0]
    return run_suite(values).exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
