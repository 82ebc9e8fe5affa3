"""The bottom layer: settings, site facts, storage, log privacy, message catalogs and language.

Imports nothing of the project above it (the import contracts in pyproject.toml)."""
