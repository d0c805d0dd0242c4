"""Data package: the bundled recordings of real servers (installed as ``oaic.cassettes``)."""
