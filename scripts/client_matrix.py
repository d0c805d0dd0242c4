"""Regenerate examples/client-matrix/: run the client gate for each client version (tox environments
client-openai-old, client-openai-new, client-node), then tabulate the client.* verdicts with `oaic report --matrix`.

    python scripts/client_matrix.py             # run the three gates, then render
    python scripts/client_matrix.py --no-run    # render from reports/client-matrix/ as it is
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from oaic.clients.release_gate import client_only

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "reports" / "client-matrix"
OUT = ROOT / "examples" / "client-matrix"
ENVS = "client-openai-old,client-openai-new,client-node"


def main() -> int:
    if "--no-run" not in sys.argv:
        # A gate that fails still leaves its results: the matrix shows where.
        subprocess.run(["tox", "-e", ENVS], cwd=ROOT, check=False)
    if OUT.exists():
        shutil.rmtree(OUT)
    sections = ["# Client-version matrix", "",
                "The client.* verdicts of the client gate, per client version and target. Regenerate with "
                "`python scripts/client_matrix.py` (needs tox, Node 18+ and npm). See docs/clients.md.", ""]
    summary = ["| client | " + " | ".join(["target", "pass", "fail", "warn"]) + " |", "|---|---|---|---|---|"]
    for client_dir in sorted(p for p in RESULTS.iterdir() if p.is_dir()):
        about = json.loads((client_dir / "client.json").read_text()) if (client_dir / "client.json").is_file() else {}
        name = about.get("client", client_dir.name)
        files = sorted(client_dir.glob("*/client-results.json"))
        if not files:
            continue
        (OUT / client_dir.name).mkdir(parents=True)
        for path in files:
            # client.* alone, without the per-finding evidence and exchanges (the gate's own output keeps them), and with paths
            # relative to the checkout
            results = {**client_only(json.loads(path.read_text())), "findings": [], "exchanges": []}
            results["target"] = {**results.get("target", {}), "name": path.parent.name}  # the matrix's column
            totals = results["totals"]  # the verdict of the client, not of the server behind it
            results["result"] = ("NOT CONFORMANT" if totals.get("fail") else
                                 "CONFORMANT" if totals.get("pass") or totals.get("warn") else "INCOMPLETE")
            text = json.dumps(results, indent=1).replace(str(ROOT) + "/", "")
            (OUT / client_dir.name / f"{path.parent.name}.json").write_text(text + "\n")
            totals = json.loads(path.read_text())["totals"]
            summary.append(f"| {name} | {path.parent.name} | {totals.get('pass', 0)} | {totals.get('fail', 0)} | "
                           f"{totals.get('warn', 0)} |")
        table = subprocess.run(["oaic", "report", "--matrix", *sorted(p.name for p in (OUT / client_dir.name).iterdir())],
                               cwd=OUT / client_dir.name, capture_output=True, text=True, check=True).stdout
        body = table.split("\n", 1)[1] if table.startswith("# ") else table  # its own title: the section names it
        sections += [f"## {name}", "", body.strip("\n").replace("\n## ", "\n### "), ""]
    (OUT / "MATRIX.md").write_text("\n".join(sections + ["## Summary", ""] + summary) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'MATRIX.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
