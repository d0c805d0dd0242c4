"""The property phase's cost against a plain schemathesis run of the same requests.

Both runs generate from the same schemas (the phase's positive generation schemas inside the profile, so plain
schemathesis also validates responses against the profile), with the same seed and example count, against the
same server: the reference provider in a background thread, or --base-url. The phase adds its own transport
(deadlines, budgets, SSE capture), validity filtering and checks; the ratio says what that costs.

    python bench/property_overhead.py [--base-url URL --model M] [--examples 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
import time

from oaic.profile import profile
from oaic.properties.cases import POSITIVE
from oaic.properties.generation import generation_document
from oaic.properties.operations import PLANS
from oaic.properties.phase import run_operation
from oaic.target import build_target
from oaic.transport import Transport

OPERATIONS = ("listModels", "retrieveModel", "createChatCompletion", "createCompletion", "createEmbedding",
              "createResponse")
MODELS = {"chat": "ref-chat", "embeddings": "ref-embed", "completions": "ref-instruct", "responses": "ref-responses"}
SEED = 20240611


def plain_document(target):
    """The profile with each operation's parameters and body replaced by what the phase generates from."""
    document = copy.deepcopy(profile().data)
    for operation_id in OPERATIONS:
        operation = profile().operation(operation_id)
        generated = generation_document(PLANS[operation_id], operation, target, POSITIVE)
        generated_op = generated["paths"][operation.path][operation.method.lower()]
        op = document["paths"][operation.path][operation.method.lower()]
        document["paths"][operation.path].pop("parameters", None)
        op["parameters"] = generated_op.get("parameters", [])
        if "requestBody" in generated_op:
            op["requestBody"] = generated_op["requestBody"]
    return document


def run_plain(schema, session, base_url, examples):
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    failures = 0
    for operation_id in OPERATIONS:
        operation = schema.find_operation_by_id(operation_id)

        @seed(SEED)
        @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def one(case):
            nonlocal failures
            response = case.call(base_url=base_url, session=session)
            try:
                case.validate_response(response)
            except (AssertionError, FailureGroup):  # failed checks: counted, the run goes on
                failures += 1

        one()
    return failures


def run_phase(transport, target, examples):
    before = transport.stats.requests
    for operation_id in OPERATIONS:
        run_operation(transport, target, {"examples": examples, "seed": SEED}, operation_id, POSITIVE)
    return transport.stats.requests - before


@contextlib.contextmanager
def server(base_url):
    if base_url:
        yield base_url
        return
    from oaic.reference.server import running

    with running() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--model", help="one model for every area (default: the reference provider's models)")
    parser.add_argument("--examples", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import requests
    import schemathesis

    with server(args.base_url) as base_url:
        models = {area: args.model for area in MODELS} if args.model else MODELS
        target = build_target({"base_url": base_url, "models": models, "capabilities": "models,chat,completions,"
                                                                                       "embeddings,responses"}, env={})
        schema = schemathesis.openapi.from_dict(plain_document(target))
        # one client each for the whole benchmark, as in a run; the warm-up pays imports and strategy building
        transport, session = Transport(target), requests.Session()
        run_plain(schema, session, base_url, args.examples)
        requests_sent = run_phase(transport, target, args.examples)
        phase_times, plain_times = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run_phase(transport, target, args.examples)
            phase_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            run_plain(schema, session, base_url, args.examples)
            plain_times.append(time.perf_counter() - start)
        transport.close()
    phase, plain = statistics.median(phase_times), statistics.median(plain_times)
    print(f"server: {base_url}; {len(OPERATIONS)} operations, {args.examples} examples each, "
          f"{requests_sent} requests per run, median of {args.repeat}")
    print(f"property phase (oaic transport and checks): {phase:.3f} s")
    print(f"plain schemathesis (requests, built-in checks): {plain:.3f} s")
    print(f"ratio phase / plain: {phase / plain:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
