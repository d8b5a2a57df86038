"""``instrument()`` and ``uninstrument()``: the explicit door, and the machinery the agent reuses.

``instrument()`` is idempotent: a second call re-reads the configuration and switches writers, but
never adds a second wrapper layer or leaks a file handle. ``uninstrument()`` puts the SDK's original
methods back. The SDK modules already imported are patched at once; the others when the SDK imports
them (it imports its resource modules on first use: ``client.chat``...), through an import hook
(:mod:`hilt._import_watch`; the agent's own hook does this for ``lazy=True``). So ``instrument()``
imports none of the SDK's hundreds of resource modules that the application does not use.

Everything a call needs is built here, not on the first call: the pipeline and writers, the recorder
and the provider extractors (as soon as ``openai`` is imported), and the price data starts loading
in a background thread (calls never wait for it).
"""

from __future__ import annotations

import atexit
import functools
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._config import Settings, load_settings
from .._safety import guard, logger
from ._targets import OPENAI_REQUIREMENT, TARGETS, PatchTarget

__all__ = ["Instrumentation", "instrument", "is_instrumented", "target_report", "uninstrument", "watched_modules"]


@dataclass
class Instrumentation:
    """The live state behind ``instrument()``: settings, pipeline and patches."""

    settings: Settings
    pipeline: Any
    recorder: Any = None
    patcher: Any = None

    def patched(self) -> list[str]:
        """``Class.method`` of every active patch."""
        if self.patcher is None:
            return []
        return sorted(f"{p.owner.__module__}.{p.target.attribute}" for p in self.patcher.applied.values() if p.switch.on)


_lock = threading.RLock()
_state: Instrumentation | None = None
_patcher: Any = None  # one per process, so that no method is ever wrapped twice
_the_recorder: Any = None  # one per process: the wrappers in place call it, whichever pipeline is live
_atexit_registered = False


def watched_modules() -> frozenset[str]:
    """The SDK modules whose import triggers patching (for the agent's import hook)."""
    return frozenset(module for target in TARGETS for module in target.modules)


def target_report() -> list[tuple[str, str, str]]:
    """``(status, endpoint, where or why)`` for every method HILT patches, in the installed SDK (``"ok"`` with
    ``module.Class.method``, or ``"missing"`` with the reason); imports the SDK's modules (``hilt-agent --info``)."""
    from ._patching import target_report as report

    return report()


def is_instrumented() -> bool:
    """True between ``instrument()`` and ``uninstrument()``."""
    return _state is not None


def current() -> Instrumentation | None:
    """The live :class:`Instrumentation`, if any."""
    return _state


def instrument(
    backend: str | Sequence[str] | None = None,
    filepath: str | None = None,
    *,
    lazy: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> Instrumentation:
    """Log every call the application makes through the ``openai`` SDK.

    Args:
        backend: ``"local"`` (a JSONL file, the default), ``"sheets"`` (a Google Sheet), ``"otlp"``
            (OpenTelemetry, ``hilt[otlp]``), or several of them: ``["local", "otlp"]``.
        filepath: the JSONL file; default: see ``docs/configuration.md``.
        lazy: patch the SDK modules already imported and leave the others to the caller's own import
            hook, which calls :func:`on_module_imported` (the agent's does).
        settings: fully resolved settings (the agent passes them); ``options`` are ignored then.
        **options: any other setting (``capture_content``, ``prices``, ``sheet_id``, ``columns``, ...);
            ``redact=["email", my_function]`` mixes built-in redactor names and ``str -> str`` functions.

    Returns:
        The live :class:`Instrumentation`.

    Raises:
        hilt.ConfigError: a setting is invalid (an explicit call fails loudly; the agent catches it).
    """
    global _state
    if settings is None:
        settings = load_settings({"backend": backend, "filepath": filepath, **options})
    from .._pipeline import Pipeline
    from ..providers import set_max_field_chars
    from ..writers import build_writers

    redactor = None
    if settings.redact:  # before any writer opens: a custom redactor that cannot be imported stops here
        from ..privacy import Redactor

        source = settings.sources.get("redact", "argument")
        redactor = Redactor(settings.redact, source="instrument()" if source == "argument" else source)
    set_max_field_chars(settings.max_field_chars)
    pipeline = Pipeline(
        build_writers(settings),
        prices=settings.prices,
        metadata=settings.metadata,
        sample_rate=settings.sample_rate,
        redactor=redactor,
    )
    pipeline.warm_up()
    with _lock:
        old = _state
        _state = Instrumentation(settings=settings, pipeline=pipeline)
        if _the_recorder is not None:
            _state.recorder, _state.patcher = _the_recorder, _patcher
            _the_recorder.pipeline, _the_recorder.capture_content = pipeline, settings.capture_content
        if old is not None:
            old.pipeline.close()
        _register_atexit()
        state = _state
    if not lazy:
        # With no HILT lock held: install() patches the modules already imported at once.
        from .._import_watch import install

        install(watched_modules() | {"openai"}, on_module_imported)
    with _lock:
        if state is _state and "openai" in sys.modules:
            _apply(state, list(TARGETS), import_modules=False)
    return state


def uninstrument() -> None:
    """Restore the SDK's original methods and close the writers. Does nothing when not instrumented."""
    global _state
    with _lock:
        state, _state = _state, None
        if state is None:
            return
        if state.patcher is not None:
            state.patcher.remove_all()
        state.pipeline.close()


def on_module_imported(module_name: str) -> None:
    """Called by the import hook after ``module_name`` (``openai``, or one of :func:`watched_modules`) was
    imported: the recorder is built when ``openai`` arrives, each class patched when its module does."""
    with _lock:
        if _state is None:
            return
        _apply(_state, [t for t in TARGETS if module_name in t.modules], import_modules=False)


def _apply(state: Instrumentation, targets: list[PatchTarget], *, import_modules: bool) -> None:
    global _patcher, _the_recorder
    if not _openai_supported():
        return
    with guard("patch the openai SDK"):
        if state.recorder is None:
            from ._patching import Patcher
            from ._recorder import Recorder

            if _the_recorder is None:
                _the_recorder, _patcher = Recorder(state.pipeline, state.settings.capture_content), Patcher()
            _the_recorder.pipeline, _the_recorder.capture_content = state.pipeline, state.settings.capture_content
            state.recorder, state.patcher = _the_recorder, _patcher
        for target in targets:
            state.patcher.apply(target, state.recorder.make_wrapper, import_modules=import_modules)


@functools.lru_cache(maxsize=None)
def _openai_supported() -> bool:
    """True when the installed openai is recent enough (reported once when it is not)."""
    installed = _openai_version()
    if installed is None:
        logger.warning("HILT: the openai package is not installed; nothing to instrument")
        return False
    parts = tuple(int(p) if p.isdigit() else 0 for p in installed.split(".")[:3])
    if parts < OPENAI_REQUIREMENT:
        wanted = ".".join(map(str, OPENAI_REQUIREMENT))
        logger.error("HILT needs openai >= %s, found %s: calls will not be logged", wanted, installed)
        return False
    return True


def _openai_version() -> str | None:
    """The SDK's own ``__version__`` once it is imported (cheap); the package metadata otherwise."""
    version = getattr(sys.modules.get("openai"), "__version__", None)
    if isinstance(version, str):
        return version
    try:
        from importlib.metadata import version as metadata_version

        return metadata_version("openai")
    except Exception:
        return None


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(_close_at_exit)


def _close_at_exit() -> None:
    state = _state
    if state is not None:
        state.pipeline.close(final=False)  # streams dropped during shutdown still write their event
