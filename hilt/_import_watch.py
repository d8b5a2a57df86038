"""A ``sys.meta_path`` finder that calls back right after a watched module has executed.

Both doors use it: the agent to learn when the application imports ``openai``, ``instrument()`` to patch
each SDK module when the SDK imports it (the SDK imports its resource modules on first use), instead of
importing them all up front. It imports nothing but ``sys``: the agent installs it at interpreter start.

For a module it does not watch the finder returns ``None`` after one set lookup. For a watched one
it asks the other finders (walking ``sys.meta_path`` itself rather than calling back into
``importlib``, so it never meets itself) and wraps the loader so that the callback runs once the
module's code has run. The module gets its real loader back before its code runs. An exception
in the callback is logged once on the ``hilt`` logger and never reaches the importing code.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

__all__ = ["WatchingFinder", "install"]


class WatchingFinder:
    """Calls ``callback(module_name)`` after each module of ``watched`` is imported."""

    def __init__(self, watched: Iterable[str], callback: Callable[[str], None]) -> None:
        self.watched = frozenset(watched)
        self.callback = callback
        self._finding: set[str] = set()  # names being looked up, in case another finder calls find_spec back
        self._reported = False

    def watch(self, names: Iterable[str]) -> None:
        """Watch ``names`` too; the callback fires at once for those already imported."""
        new = frozenset(names) - self.watched
        self.watched = self.watched | new  # one atomic rebinding: lookups in other threads see old or new
        for name in sorted(new):
            if name in sys.modules:
                self.notify(name)

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None:
        """The real finder's spec with a notifying loader, for watched names; ``None`` otherwise."""
        if fullname not in self.watched or fullname in self._finding:
            return None
        self._finding.add(fullname)
        try:
            spec = _find_elsewhere(self, fullname, path, target)
        finally:
            self._finding.discard(fullname)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _NotifyingLoader(spec.loader, self)
        return spec

    def notify(self, name: str) -> None:
        """Run the callback for ``name``; an exception is logged once and swallowed."""
        try:
            self.callback(name)
        except Exception as exc:
            import logging

            level = logging.DEBUG if self._reported else logging.WARNING
            self._reported = True
            logging.getLogger("hilt").log(
                level, "HILT could not instrument %s (%s: %s); the application is unaffected", name, type(exc).__name__, exc
            )

    def invalidate_caches(self) -> None:
        """Nothing cached (part of the finder protocol)."""


def _find_elsewhere(finder: WatchingFinder, fullname: str, path: Any, target: Any) -> ModuleSpec | None:
    for other in list(sys.meta_path):
        find = getattr(other, "find_spec", None)
        if other is finder or find is None:
            continue
        spec = find(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _NotifyingLoader:
    """Delegates to the real loader and notifies the finder after ``exec_module``."""

    def __init__(self, loader: Any, finder: WatchingFinder) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        if spec is not None and spec.loader is self:
            spec.loader = self._loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader
        self._loader.exec_module(module)
        self._finder.notify(module.__name__)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def install(watched: Iterable[str], callback: Callable[[str], None]) -> WatchingFinder:
    """Put a :class:`WatchingFinder` first on ``sys.meta_path`` (one per process) and fire it for modules already imported."""
    for existing in sys.meta_path:
        if isinstance(existing, WatchingFinder):
            existing.watch(watched)
            return existing
    finder = WatchingFinder((), callback)
    sys.meta_path.insert(0, finder)
    finder.watch(watched)
    return finder
