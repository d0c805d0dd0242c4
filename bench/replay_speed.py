"""Wall time of the default `oaic run` — the bundled recording replayed offline — interpreter start included.

    python bench/replay_speed.py [RUNS]

Prints the best and median wall time of RUNS runs (default 3) and the CPU time they used (a busy machine
stretches wall time, not CPU time); exits 1 when the best run is over the 10 s budget.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 10.0


def command() -> list[str]:
    script = Path(sys.executable).with_name("oaic")
    return [str(script), "run"] if script.exists() else [sys.executable, "-m", "oaic.cli", "run"]


def one_run() -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one default run in an empty folder, with no OAIC_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAIC_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        done = subprocess.run(command(), cwd=folder, env=env, capture_output=True)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"oaic run failed (exit {done.returncode}): {done.stderr.decode()[-1000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    walls, cpus = zip(*(one_run() for _ in range(runs)))
    best = min(walls)
    print(f"default oaic run (bundled recording replayed): best {best:.2f}s, median {statistics.median(walls):.2f}s "
          f"wall over {runs} runs; CPU {statistics.median(cpus):.2f}s; budget {BUDGET_S:g}s")
    return 0 if best <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
