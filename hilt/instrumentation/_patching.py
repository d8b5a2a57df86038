"""Apply and remove the patch table, keeping the exact original objects.

Each patch replaces ``Class.method`` with a ``wrapt.FunctionWrapper`` around the object found in the
class's own ``__dict__`` (never through ``getattr``, which would bind it and lose the original). Undoing
puts that very object back. If another library has wrapped the method on top of HILT since, HILT's
layer cannot be lifted out without removing theirs, so it is switched off instead (``enabled``) and
switched back on by the next ``instrument()``: there is never more than one HILT layer.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import wrapt

from .._safety import guard, logger
from ._targets import TARGETS, PatchTarget

__all__ = ["AppliedPatch", "Patcher", "find_class", "target_report"]

_MISSING = object()


class _Switch:
    """An on/off flag that ``wrapt`` consults on every call, through :attr:`check`: ``getattr(self, "on")``
    bound with ``functools.partial``, so the check runs in C, with no Python frame per call."""

    __slots__ = ("on", "check")

    def __init__(self) -> None:
        self.on = True
        self.check: Callable[[], bool] = functools.partial(getattr, self, "on")


@dataclass
class AppliedPatch:
    """One applied patch and what is needed to undo it."""

    target: PatchTarget
    owner: type
    original: Any
    wrapper: Any
    switch: _Switch = field(default_factory=_Switch)


def find_class(target: PatchTarget, import_modules: bool) -> tuple[type | None, str]:
    """The class to patch, or ``(None, reason)`` (``hilt-agent --info`` lists the reason)."""
    reason = "module not found"
    for module_name in target.modules:
        module = sys.modules.get(module_name)
        if module is None and import_modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        if module is None:
            reason = "module not imported yet"
            continue
        owner = getattr(module, target.class_name, None)
        if isinstance(owner, type) and target.method_name in _class_attributes(owner):
            return owner, ""
        reason = f"{module_name} has no {target.attribute}"
    return None, reason


def target_report() -> list[tuple[str, str, str]]:
    """``(status, endpoint, where or why)`` for every patch target in the installed SDK (``hilt-agent --info``).

    Status is ``"ok"`` (where: ``module.Class.method``) or ``"missing"`` (why). Imports the SDK's modules.
    """
    rows = []
    for target in TARGETS:
        label = f"{target.endpoint} ({'async' if target.is_async else 'sync'})"
        try:
            owner, reason = find_class(target, import_modules=True)
        except Exception as exc:  # an SDK that fails to import is a finding, not a crash
            owner, reason = None, f"{type(exc).__name__}: {exc}"
        if owner is None:
            rows.append(("missing", label, reason))
        else:
            rows.append(("ok", label, f"{owner.__module__}.{target.attribute}"))
    return rows


def _reachable(current: Any, wrapper: Any) -> bool:
    """True if ``wrapper`` is ``current`` or sits anywhere under it in a chain of ``__wrapped__``."""
    for _ in range(32):
        if current is None:
            return False
        if current is wrapper:
            return True
        current = getattr(current, "__wrapped__", None)
    return False


def _class_attributes(owner: type) -> set[str]:
    return {name for klass in owner.__mro__ for name in vars(klass)}


class Patcher:
    """Applies :class:`PatchTarget` rows with wrapper factories and undoes them."""

    def __init__(self) -> None:
        self.applied: dict[tuple[type, str], AppliedPatch] = {}

    def apply(
        self, target: PatchTarget, make_wrapper: Callable[[PatchTarget], Any], *, import_modules: bool = True
    ) -> bool:
        """Wrap one target; return True when HILT's layer is in place. Never raises."""
        with guard(f"patch {target.attribute}"):
            owner, _ = find_class(target, import_modules)
            if owner is None:
                return False
            key = (owner, target.method_name)
            existing = self.applied.get(key)
            if existing is not None:
                if _reachable(owner.__dict__.get(target.method_name), existing.wrapper):
                    existing.switch.on = True
                    return True
                del self.applied[key]  # someone else removed HILT's layer: wrap afresh
            original = owner.__dict__.get(target.method_name, _MISSING)
            resolved = original
            if original is _MISSING:  # inherited: wrap what the MRO resolves to, on this class
                resolved = next(vars(k)[target.method_name] for k in owner.__mro__ if target.method_name in vars(k))
            patch = AppliedPatch(target, owner, original, None)
            patch.wrapper = wrapt.FunctionWrapper(resolved, make_wrapper(target), patch.switch.check)
            setattr(owner, target.method_name, patch.wrapper)
            self.applied[key] = patch
            return True
        return False

    def remove_all(self) -> None:
        """Undo every patch: restore originals, or switch HILT's layer off where another wrapper sits on top."""
        for key, patch in list(self.applied.items()):
            owner, name = key
            with guard(f"unpatch {patch.target.attribute}"):
                if owner.__dict__.get(name) is patch.wrapper:
                    if patch.original is _MISSING:
                        delattr(owner, name)
                    else:
                        setattr(owner, name, patch.original)
                    del self.applied[key]
                else:
                    patch.switch.on = False
                    logger.debug("HILT switched off its layer on %s.%s (another wrapper sits on top)", owner, name)
