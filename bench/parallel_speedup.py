"""What ``--jobs`` buys against a slow target: the plain-form run (``oaic run --base-url URL``) with ``--jobs 1`` and
with ``--jobs N`` against ``oaic serve --latency 0.3`` (300 ms added to every answer), each as a whole
``oaic run`` process, and whether both judged every requirement the same. Target: --jobs 8 at least 4x faster.

    python bench/parallel_speedup.py [--jobs 8] [--latency 0.3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_rps import free_port, wait_ready  # noqa: E402


def timed_run(base_url: str, jobs: int, report_dir: str) -> tuple[float, dict[str, str]]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "oaic.cli", "run", "--base-url", base_url, "--jobs", str(jobs),
                           "--report-dir", report_dir], capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"--jobs {jobs} ended with exit {done.returncode}: {done.stderr[-500:]}{done.stdout[-1500:]}")
    data = json.loads((Path(report_dir) / "results.json").read_text())
    return elapsed, {r["requirement"]: r["verdict"] for r in data["requirements"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAIC_")}
    server = subprocess.Popen([sys.executable, "-m", "oaic.cli", "serve", "--port", str(port), "--latency",
                               str(args.latency)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serial, parallel = [], []
    try:
        wait_ready(base_url, server)
        with tempfile.TemporaryDirectory() as scratch:
            for round_ in range(args.repeat):  # in turn, so a drift of the machine's speed touches both
                took, serial_verdicts = timed_run(base_url, 1, f"{scratch}/serial{round_}")
                serial.append(took)
                took, parallel_verdicts = timed_run(base_url, args.jobs, f"{scratch}/parallel{round_}")
                parallel.append(took)
                differing = sorted(k for k in serial_verdicts if serial_verdicts[k] != parallel_verdicts.get(k))
                if differing:
                    sys.exit(f"--jobs {args.jobs} judged differently: {differing[:10]}")
    finally:
        server.terminate()
        server.wait()
    s, p = statistics.median(serial), statistics.median(parallel)
    print(f"--jobs 1: median {s:.1f}s over {args.repeat} ({', '.join(f'{x:.1f}' for x in serial)})")
    print(f"--jobs {args.jobs}: median {p:.1f}s over {args.repeat} ({', '.join(f'{x:.1f}' for x in parallel)})")
    print(f"speed-up {s / p:.1f}x with identical verdicts (target >= 4x), {args.latency * 1000:.0f} ms latency")


if __name__ == "__main__":
    main()
