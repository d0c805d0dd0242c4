"""``oaic run --target a.toml --target b.toml ...``: several targets side by side, one ``oaic run`` process each.

Each target gets its own report folder under --report-dir (named after the profile's ``name``, else the file's
stem), every output line of a target is prefixed with that name so parallel runs stay readable, and the matrix of
all of them (matrix.html, matrix.md) is written beside the folders. The exit code is the worst of the targets'
(see WORST_FIRST). A single --target is an ordinary run, untouched by this module.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import UsageError
from .options import OPTIONS

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130
# From worst to best: a usage error (a target could not even be run) outranks an interruption, which outranks a
# failure; INCOMPLETE only outranks CONFORMANT. An exit code outside the table (a crash) counts as a usage error.
WORST_FIRST = (EXIT_USAGE, EXIT_INTERRUPTED, 1, 3, 0)
PER_TARGET = ("target", "report_dir", "record")  # given to each process its own way (see child_args)


def worst(codes: Sequence[int]) -> int:
    """The exit code of several targets: the worst of theirs, in the order of WORST_FIRST."""
    known = [code if code in WORST_FIRST else EXIT_USAGE for code in codes]
    return min(known, key=WORST_FIRST.index) if known else EXIT_USAGE


def folder_names(paths: Sequence[str]) -> list[str]:
    """One folder name per target: the profile's name, else its file's stem; made safe and unique."""
    from .target import load_profile

    names: list[str] = []
    taken: set[str] = set()
    for path in paths:
        try:
            name = str(load_profile(path).get("name") or "")
        except UsageError:
            name = ""  # its own run says what is wrong with it
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name or Path(path).stem).strip("-.") or "target"
        unique, n = base, 1
        while unique.lower() in taken:
            n += 1
            unique = f"{base}-{n}"
        taken.add(unique.lower())
        names.append(unique)
    return names


def child_args(values: Mapping[str, Any], target: str, report_dir: Path, record: Path | None) -> list[str]:
    """The ``oaic run`` arguments of one target: every option as given, but its own profile and folders."""
    args = [f"--target={target}", f"--report-dir={report_dir}"]
    if record is not None:
        args.append(f"--record={record}")
    for option in OPTIONS:
        value = values.get(option.dest)
        if option.dest in PER_TARGET or value in (None, False, "", []):
            continue
        if option.kind == "flag":
            args.append(f"--{option.name}")
        elif option.kind == "append":
            args.extend(f"--{option.name}={item}" for item in value)
        else:
            args.append(f"--{option.name}={value}")
    if values.get("verbose"):
        args.append("--verbose")
    if str(values.get("jobs") or "1") != "1":
        args.append(f"--jobs={values['jobs']}")
    if values.get("pytest_args"):
        args.append(f"--pytest-args={values['pytest_args']}")
    return args


def check(values: Mapping[str, Any]) -> None:
    """What cannot be shared by several targets is a usage error before anything starts."""
    if values.get("replay"):
        raise UsageError("--replay replays one recording with its own profile: give no --target")
    if values.get("save_profile"):
        raise UsageError("--save-profile writes one target's profile: run that target alone")


def run_targets(values: Mapping[str, Any], out: TextIO | None = None) -> int:
    """Run every target at once, each in its own ``oaic run`` process; then the matrix; the worst exit code."""
    from .report import check_writable

    out = out or sys.stdout
    check(values)
    paths = list(values["target"])
    report_dir = Path(values.get("report_dir") or "reports")
    check_writable(report_dir)
    names = folder_names(paths)
    record = Path(values["record"]) if values.get("record") else None
    for shared in (report_dir, record):  # made here: a target's run would remove a folder it made and found empty
        if shared is not None:
            try:
                shared.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create {shared}: {exc.strerror or exc}") from None
    lock = threading.Lock()
    processes: list[subprocess.Popen[str]] = []
    readers: list[threading.Thread] = []
    try:
        for path, name in zip(paths, names):
            args = child_args(values, path, report_dir / name, record / name if record else None)
            process = subprocess.Popen([sys.executable, "-m", "oaic.cli", "run", *args], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                       encoding="utf-8", errors="replace", bufsize=1)
            processes.append(process)
            reader = threading.Thread(target=_relay, args=(process.stdout, f"[{name}] ", out, lock), daemon=True)
            reader.start()
            readers.append(reader)
        codes = [process.wait() for process in processes]
        interrupted = False
    except KeyboardInterrupt:
        codes, interrupted = _stop(processes), True
    for reader in readers:
        reader.join(timeout=5)
    codes += [EXIT_INTERRUPTED] * (len(paths) - len(codes))  # targets not started yet
    code = EXIT_INTERRUPTED if interrupted else worst(codes)
    if not _summary(out, names, paths, codes, report_dir):
        code = worst([code, EXIT_USAGE])
    return code


def _stop(processes: list[subprocess.Popen[str]], grace: float = 5.0) -> list[int]:
    """Ctrl-C reaches every target's process too, and each writes its partial reports: give them the time; a
    SIGTERM reached only this one, so pass it on to those still running after the grace period."""
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        if process.poll() is None:
            process.terminate()
    return [process.wait() for process in processes]


def _relay(stream: TextIO, prefix: str, out: TextIO, lock: threading.Lock) -> None:
    """Each line of one target's output, whole and prefixed with its name."""
    for line in stream:
        with lock:
            out.write(prefix + line if line.endswith("\n") else prefix + line + "\n")
            out.flush()


def _summary(out: TextIO, names: list[str], paths: list[str], codes: list[int], report_dir: Path) -> bool:
    """One line per target, then the matrix of those that wrote results; False when the matrix cannot be written."""
    from .report import compare

    named: list[tuple[str, dict[str, Any]]] = []
    width = max(len(name) for name in names)
    out.write("\n")
    for name, path, code in zip(names, paths, codes):
        results = report_dir / name / "results.json"
        data = _results(results) if code in (0, 1, 3) else None  # else what is there is an earlier run's
        partial = report_dir / name / "interrupted" / "results.json"
        if code == EXIT_INTERRUPTED and partial.exists():
            out.write(f"{name.ljust(width)}  interrupted (exit {code})  {partial}\n")
            continue
        verdict = data.get("result", "?") if data else "no results"
        out.write(f"{name.ljust(width)}  {verdict} (exit {code})  {results if data else path}\n")
        if data:
            named.append((str(results), data))
    if named:
        try:
            compare.write_matrix(named, str(report_dir / "matrix.html"), out)
            compare.write_matrix(named, str(report_dir / "matrix.md"), out)
            out.write(f"matrix: {report_dir / 'matrix.html'}, {report_dir / 'matrix.md'}\n")
        except UsageError as exc:
            print(f"oaic: error: {exc}", file=sys.stderr)
            return False
    out.flush()
    return True


def _results(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("requirements"), list) else None
