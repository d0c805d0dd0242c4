"""Data package: the requirement catalogue and the project's OpenAPI profile (installed as ``oaic.spec``)."""
