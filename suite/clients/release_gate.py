"""The release gate of a client library: ``python -m oaic.clients.release_gate --client openai --out DIR``.

Runs the scenarios through the client against what it must cope with, one results.json per target under
DIR/<target>/, plus DIR/<target>/client-results.json holding the client.* requirements alone (what
``oaic report --matrix`` tabulates across client versions):

- ``reference``: the reference provider, every capability claimed (every client.* requirement must pass);
- ``rate-limit``: the same with a rate limit that asks for a pause and then lifts;
- ``variation-*``: each legal variation of the wire (keep-alive comments, CRLF, fragmented writes, ...);
- ``fault-*``: what a client must surface rather than hide (a stall, a stream cut off, an error event);
- ``recording-*``: each bundled recording of a real server, served over HTTP as ``oaic serve --replay`` does.

Exit 1 when a client.* requirement fails on any target (SHOULD ones too with --strict), else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

KEY_ENV = "OAIC_GATE_REFERENCE_KEY"
KEY = "sk-oaic-gate"
MODELS = {"model": "ref-chat", "tools_model": "ref-tools", "embedding_model": "ref-embed",
          "completions_model": "ref-instruct", "responses_model": "ref-responses",
          "moderation_model": "ref-moderation", "transcription_model": "ref-whisper"}
SURFACED_FAULTS = ("stream-stall", "stream-close", "chat-stream-error-event")


def targets() -> list[tuple[str, list[str], str | None]]:
    """(name, faults of the reference provider, or a recording folder)."""
    from ..recording import default_recording
    from ..reference.faults.variations import ALL_AT_ONCE

    out: list[tuple[str, list[str], str | None]] = [("reference", [], None),
                                                    ("rate-limit", ["rate-limit-retry-after"], None)]
    out += [(f"variation-{name}", [name], None) for name in ALL_AT_ONCE]
    out += [(f"fault-{name}", [name], None) for name in SURFACED_FAULTS]
    bundled = default_recording().parent
    out += [(f"recording-{folder.name}", [], str(folder)) for folder in sorted(bundled.iterdir())
            if (folder / "profile.toml").is_file()]
    return out


def client_version(client: dict[str, Any]) -> str:
    """The client library's name and version, where the gate can tell."""
    if client.get("client") == "openai":
        from importlib.metadata import version

        return f"openai (Python) {version('openai')}"
    if client.get("client") == "node":
        from .commands import NODE_PACKAGE_ENV, _safe, cache_folder

        package = os.environ.get(NODE_PACKAGE_ENV) or "openai"
        manifest = cache_folder() / "node" / _safe(package) / "node_modules" / "openai" / "package.json"
        if manifest.is_file():
            return f"openai (Node) {json.loads(manifest.read_text(encoding='utf-8')).get('version')}"
    return client.get("client_cmd") or client.get("client") or "raw"


def client_only(results: dict[str, Any]) -> dict[str, Any]:
    """The results restricted to the client.* requirements, totals recounted, and only the exchanges their
    findings were judged on (renumbered): the whole run's exchanges would make each file hundreds of kilobytes."""
    requirements = [r for r in results["requirements"] if r["requirement"].startswith("client.")]
    totals = {verdict: 0 for verdict in results.get("totals", {})}
    for r in requirements:
        totals[r["verdict"]] = totals.get(r["verdict"], 0) + 1
    kept = {r["requirement"] for r in requirements}
    findings = [dict(f) for f in results.get("findings", []) if f.get("requirement") in kept]
    exchanges = results.get("exchanges") or []
    renumbered: dict[int, int] = {}
    for finding in findings:
        index = finding.get("exchange")
        if isinstance(index, int) and 0 <= index < len(exchanges):
            finding["exchange"] = renumbered.setdefault(index, len(renumbered))
        else:
            finding.pop("exchange", None)
    kept_exchanges = [exchanges[index] for index in sorted(renumbered, key=renumbered.get)]
    return {**results, "requirements": requirements, "totals": totals, "findings": findings,
            "exchanges": kept_exchanges}


def run_target(name: str, faults: list[str], recording: str | None, client: dict[str, Any], out: Path,
               server: Any, strict: bool) -> dict[str, Any]:
    from ..runner import run_suite

    report_dir = out / name
    values: dict[str, Any] = {**client, "report_dir": str(report_dir), "strict": strict,
                              "pytest_args": "-p no:unraisableexception"}
    if recording is None:
        server.reset(faults, api_key=KEY)
        values.update({**MODELS, "base_url": server.base_url, "api_key_env": KEY_ENV, "capabilities": "all",
                       "timeout": "2", "total_timeout": "30"})
        if faults:  # the whole suite once (reference); the client scenarios alone against each variation
            values["only"] = ["client.*"]
        with contextlib.redirect_stdout(io.StringIO()):
            run_suite(values)
    else:
        from .replay_server import recording_proxy

        proxy = recording_proxy(recording, fast=True).start()
        values.update({"target": str(Path(recording) / "profile.toml"), "base_url": proxy.base_url})
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                run_suite(values)
        finally:
            proxy.stop()
    results = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    mine = client_only(results)
    (report_dir / "client-results.json").write_text(json.dumps(mine, indent=1) + "\n", encoding="utf-8")
    return mine


def main(argv: list[str] | None = None) -> int:
    from ..errors import UsageError
    from ..reference.server import ReferenceServer
    from . import prestart

    parser = argparse.ArgumentParser(prog="python -m oaic.clients.release_gate", description=__doc__.split("\n")[0])
    parser.add_argument("--client", help="raw, openai or node")
    parser.add_argument("--client-cmd", help="a driver command (see docs/clients.md)")
    parser.add_argument("--out", default="reports/client-gate", help="folder of the results (default: %(default)s)")
    parser.add_argument("--only-target", action="append", help="run only targets whose name starts with this")
    parser.add_argument("--strict", action="store_true", help="SHOULD-level client failures fail the gate too")
    args = parser.parse_args(argv)
    client = {"client": args.client, "client_cmd": args.client_cmd}
    try:
        prestart(client)  # its driver then serves every target's run in turn
    except UsageError as exc:
        print(f"oaic: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "client.json").write_text(json.dumps({"client": client_version(client)}) + "\n", encoding="utf-8")
    os.environ[KEY_ENV] = KEY
    failed = []
    with ReferenceServer(api_key=KEY) as server:
        for name, faults, recording in targets():
            if args.only_target and not any(name.startswith(p) for p in args.only_target):
                continue
            mine = run_target(name, faults, recording, client, out, server, args.strict)
            bad = [r["requirement"] for r in mine["requirements"]
                   if r["verdict"] == "fail" or (args.strict and r["verdict"] == "warn")]
            print(f"{name:<40} {'FAIL ' + ', '.join(bad) if bad else 'ok'}", flush=True)
            if bad:
                failed.append(name)
    print(f"client gate: {len(failed)} target(s) failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
