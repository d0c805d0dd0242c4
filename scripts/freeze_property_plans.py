"""Keep the property phase's requests inside recordings made before recordings kept them.

    python scripts/freeze_property_plans.py cassettes/*/

Replays each recording once (offline), and when every property-phase request was found in it, writes the
requests it generated to DIR/property-plans.json, so later replays send them without generating them again.
A recording with a request not found is left untouched.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

from oaic.findings import NOT_RECORDED
from oaic.recording.store import OPTIONS, Player, write_property_plans
from oaic.run import Run
from oaic.runner import run_pytest


def freeze(folder: Path) -> str:
    run = Run.build({"replay": str(folder), "only": ["property.*"], "report_dir": "/tmp/oaic-freeze-reports"})
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run_pytest(run)
    if outcome.results is None or any(f.verdict == NOT_RECORDED for f in outcome.results.findings):
        return "left untouched: some property requests are not in the recording"
    options = Player._recorded_options(folder)
    plans = run.property_options["plans"]
    write_property_plans(folder, {k: options.get(k) for k in ("seed", "examples")}, None, plans)
    return f"kept {sum(map(len, plans.values()))} requests of {len(plans)} operation modes ({OPTIONS} unchanged)"


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(f"{argument}: {freeze(Path(argument))}")
