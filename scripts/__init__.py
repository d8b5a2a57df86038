"""Maintenance scripts. Run each one as a module from the repository root, e.g. ``python -m scripts.cli_docs``."""
