"""What a client run costs: the wall time of the whole suite through a client library (``--client openai``)
against the raw run, both against the reference provider in a background thread. The client run adds a driver
process (its start, the SDK's import), the capturing proxy's hop, and the client.* checks. Target: at most 1.5x.

Each client run starts its driver, as a run from the command line does. With ``--warm`` a client run takes the
driver the run before it leaves (as runs in one process do: a test session, the release gate), so both sides are
measured warm, the raw runs' imports being done already too.

    python bench/client_overhead.py [--client openai|node] [--repeat 3] [--warm]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oaic.clients import close_all, prestart  # noqa: E402
from oaic.runner import run_suite  # noqa: E402

from tests.reference_fixtures import API_KEY, KEY_ENV, reference_server, suite_values  # noqa: E402


def timed(server, client: str | None, warm: bool = False) -> float:
    server.reset([], api_key=API_KEY)
    if client and not warm:
        close_all()  # the driver starts inside the timed run
    with tempfile.TemporaryDirectory() as report_dir:
        values = {**suite_values(server.base_url, report_dir), "client": client}
        start = time.monotonic()
        prestart(values)  # as `oaic run` does
        with contextlib.redirect_stdout(io.StringIO()):
            outcome = run_suite(values)
        elapsed = time.monotonic() - start
    assert outcome.exit_code == 0, f"the {client or 'raw'} run did not pass (exit {outcome.exit_code})"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", default="openai")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="client runs reuse the driver of the run before")
    args = parser.parse_args()
    os.environ[KEY_ENV] = API_KEY
    raw, client = [], []
    with reference_server() as server:
        timed(server, None)  # warm up: imports, the first server answers
        if args.warm:
            timed(server, args.client, warm=True)
        for _ in range(args.repeat):
            raw.append(timed(server, None))
            client.append(timed(server, args.client, warm=args.warm))
    r, c = statistics.median(raw), statistics.median(client)
    # Each client run is paired with the raw run just before it: on a shared machine the pairs' ratios drift less
    # than the times themselves.
    pairs = statistics.median(b / a for a, b in zip(raw, client))
    print(f"raw run:      median {r:.2f}s over {args.repeat} ({', '.join(f'{x:.2f}' for x in raw)})")
    print(f"--client {args.client}: median {c:.2f}s over {args.repeat} ({', '.join(f'{x:.2f}' for x in client)})")
    print(f"ratio {c / r:.2f}x of the medians, {pairs:.2f}x the median of the pairs (target <= 1.5x)")


if __name__ == "__main__":
    main()
