"""HILT's benchmarks. Run each one as a module from the repository root, e.g. ``python -m benchmarks.overhead``;
they import HILT as installed and share helpers as ``benchmarks.<module>``."""
