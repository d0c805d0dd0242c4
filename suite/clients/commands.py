"""The driver command for ``--client`` / ``--client-cmd``: the bundled Python and Node drivers, or the user's own."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import UsageError

CLIENTS = ("raw", "openai", "node")
NODE_PACKAGE_ENV = "OAIC_NODE_OPENAI"  # e.g. "openai@4.104.0"; default: the newest openai
NODE_INSTALL_SECONDS = 600


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("OAIC_CACHE", str(Path(base) / "oaic")))


def driver_command(client: str | None, client_cmd: str | None) -> list[str] | None:
    """The command line of the driver, or None for the raw wire. Raises UsageError with one clear line."""
    if client and client_cmd:
        raise UsageError("give --client or --client-cmd, not both")
    if client_cmd:
        command = shlex.split(client_cmd)
        if not command:
            raise UsageError("--client-cmd is empty")
        return command
    if client in (None, "", "raw"):
        return None
    if client == "openai":
        # Found, not imported: the SDK is the driver process's business, and importing it here costs the run
        # half a second of start-up.
        if importlib.util.find_spec("openai") is None:
            raise UsageError("--client openai needs the openai package: pip install openai")
        return [sys.executable, "-m", "oaic.clients.python_driver"]
    if client == "node":
        return node_command()
    raise UsageError(f"unknown client {client!r} (known: {', '.join(CLIENTS)}; or --client-cmd CMD)")


def node_command() -> list[str]:
    """Node's driver, its npm package installed on first use into the cache folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise UsageError(f"--client node needs Node.js 18 or later and npm on PATH ({'node' if not node else 'npm'} "
                         f"not found)")
    package = os.environ.get(NODE_PACKAGE_ENV) or "openai"
    folder = cache_folder() / "node" / _safe(package)
    if not (folder / "node_modules" / "openai" / "package.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"oaic: installing {package} from npm into {folder} (once)", file=sys.stderr, flush=True)
        try:
            done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix",
                                   str(folder), package], capture_output=True, text=True, timeout=NODE_INSTALL_SECONDS)
        except subprocess.TimeoutExpired:
            raise UsageError(f"npm install {package} took longer than {NODE_INSTALL_SECONDS}s") from None
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise UsageError(f"npm install {package} failed: {last[0]}")
    script = folder / "node_driver.mjs"
    source = Path(__file__).with_name("node_driver.mjs")
    if not script.is_file() or script.read_bytes() != source.read_bytes():
        shutil.copyfile(source, script)  # beside its node_modules, so `import "openai"` finds the package
    return [node, str(script)]


def _safe(package: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in package)
