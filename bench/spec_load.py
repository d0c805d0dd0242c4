"""How long the OpenAPI documents take to load.

- the bundled profile (spec/openapi.yaml), parsed and ready to validate (target <= 0.3 s);
- OpenAI's official document, cold (read, parse, normalize, write the cache) and cached (read the cache), from
  its JSON and its YAML form.

    python bench/spec_load.py [--official PATH] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from oaic.official import load_official

from suite import profile as profile_module

SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_profile() -> None:
    profile_module.profile.cache_clear()
    document = profile_module.profile()
    document.validator("CreateChatCompletionResponse")  # ready to validate: registry and validator built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", action="append",
                        help="official document(s) to time (default: ../shared/spec/openai-openapi.{json,yaml})")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seconds = timed(load_profile, args.repeat)
    print(f"bundled profile: {seconds * 1000:.0f} ms (target <= 300 ms)")
    sources = args.official or [str(p) for p in (SHARED_SPEC / "openai-openapi.json",
                                                  SHARED_SPEC / "openai-openapi.yaml") if p.is_file()]
    for source in sources:
        with tempfile.TemporaryDirectory() as cache:
            os.environ["OAIC_CACHE_DIR"] = cache

            def cold(source: str = source, cache: str = cache) -> None:
                for entry in Path(cache).iterdir():
                    entry.unlink()
                load_official(source)

            cold_seconds = timed(cold, max(1, args.repeat // 2))
            cached_seconds = timed(lambda source=source: load_official(source), args.repeat)
        print(f"official {Path(source).name}: cold {cold_seconds:.2f} s, cached {cached_seconds:.2f} s")


if __name__ == "__main__":
    main()
