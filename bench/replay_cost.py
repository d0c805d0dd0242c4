"""What the default `oaic run` (the bundled recording replayed offline) costs next to importing the libraries it
runs on, in the same interpreter: a replay should cost little more than starting its own dependencies.

    python bench/replay_cost.py [RUNS]

Runs both commands in turn RUNS times (default 5) in an empty folder and prints the median wall and CPU time of
each and their ratio (replay / imports), pair by pair. Two baselines are printed: the libraries a replay imports
(pytest, httpx, PyYAML, jsonschema, referencing, vcrpy) and those plus the property phase's generators
(schemathesis, hypothesis), which a replay of a recording that kept its property requests does not load.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPLAY_IMPORTS = "import pytest, httpx, yaml, jsonschema, referencing, vcr"
ALL_IMPORTS = REPLAY_IMPORTS + ", schemathesis, hypothesis"


def timed(command: list[str], folder: str) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAIC_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"{command} failed (exit {done.returncode}): {done.stderr.decode()[-1000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    replay = [sys.executable, "-m", "oaic.cli", "run"]
    commands = {"replay": replay, "imports": [sys.executable, "-c", REPLAY_IMPORTS],
                "imports+generators": [sys.executable, "-c", ALL_IMPORTS]}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        for command in commands.values():  # warm-up: file caches, bytecode
            timed(command, folder)
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(timed(command, folder))
    for name, values in samples.items():
        print(f"{name:<20} wall {statistics.median(v[0] for v in values):.2f}s  "
              f"cpu {statistics.median(v[1] for v in values):.2f}s")
    for base in ("imports", "imports+generators"):
        wall = statistics.median(r[0] / b[0] for r, b in zip(samples["replay"], samples[base]))
        cpu = statistics.median(r[1] / b[1] for r, b in zip(samples["replay"], samples[base]))
        print(f"replay / {base}: {wall:.2f}x wall, {cpu:.2f}x cpu (median of {runs} pairs; target <= 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
