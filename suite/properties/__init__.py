"""The property phase: requests generated from the OpenAPI document (schemathesis + hypothesis), sent through
the suite's own transport, judged by the checks in suite/checks/property.py.

Positive mode sends requests that every conformant server must accept; negative mode sends requests that every
conformant server must reject. Generation is seeded, so a run reproduces and replays from a recording.
Importing this package is cheap: schemathesis is imported only when cases are generated.
"""
