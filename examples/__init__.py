"""Data package: example target profiles and CI recipes (installed as ``oaic.examples``)."""
