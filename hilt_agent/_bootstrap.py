"""Start the agent: load and check the settings, then install the import hook.

Runs at interpreter start-up (from the gate) when ``HILT_ENABLED`` is true, so it imports only
``hilt._config``, ``hilt._ids`` and the import hook (``hilt._import_watch``). When the application imports ``openai`` (or at once,
if something imported it before the agent started), everything a call needs is built: the pipeline,
the writers, the recorder and the extractors, and the price data starts loading in the background;
the SDK's resource modules, which the SDK imports lazily, are patched as they arrive. So the first
call costs what the following ones do. It never raises: a problem becomes one warning line on stderr
and the application runs uninstrumented (``HILT_STRICT=1``: an error line and exit status 78).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hilt._config import Settings

__all__ = ["STRICT_EXIT_STATUS", "start"]

STRICT_EXIT_STATUS = 78  # EX_CONFIG from sysexits.h
_TRIGGER = "openai"  # once the SDK package has run, the hook learns which of its modules to watch


class _Agent:
    """Turns the import hook's notifications into ``instrument()`` / ``on_module_imported()`` calls."""

    def __init__(self, settings: Settings) -> None:
        import _thread

        self.settings = settings
        self.finder = None
        self.watched: frozenset[str] = frozenset()
        self._active = False
        self._failed = False
        self._lock = _thread.RLock()

    def on_import(self, name: str) -> None:
        from hilt.instrumentation import current, instrument, on_module_imported, watched_modules

        from hilt.exceptions import ConfigError

        with self._lock:
            if self._failed:
                return
            if not self._active:
                self._active = True
                if current() is None:  # an explicit instrument() call came first: its settings win
                    try:
                        instrument(settings=self.settings, lazy=True)
                    except ConfigError as exc:  # a redactor's "module:function", imported only now
                        self._failed = True
                        if self.settings.strict:
                            _fail(exc, self.settings)  # the start-up error line and exit status 78
                        # Inside the application now: the hilt logger (stderr unless the app routes it), once.
                        from hilt._safety import logger

                        os.environ.pop("HILT_ENABLED", None)  # children would only repeat the warning
                        logger.warning("hilt: warning: %s; this run is not instrumented", exc)
                        return
        if name == _TRIGGER:
            self.watched = watched_modules()
            self.finder.watch(self.watched)  # fires at once for the modules already imported
            if name not in self.watched:
                return
        on_module_imported(name)


def start() -> None:
    """Load the settings, report problems, install the import hook. Never raises."""
    settings = None
    try:
        from hilt._config import load_settings, parse_bool

        parse_bool(os.environ.get("HILT_ENABLED", ""), "environment variable HILT_ENABLED", "enabled")  # "maybe" is an error
        settings = load_settings()
        _check(settings)
        _configure_logging(settings)
        if not os.environ.get("HILT_RUN_ID"):
            from hilt._ids import prefixed_id

            os.environ["HILT_RUN_ID"] = prefixed_id("run_")
        from hilt._import_watch import install

        agent = _Agent(settings)
        agent.finder = install((), agent.on_import)
        agent.finder.watch((_TRIGGER,))  # after agent.finder is set: fires at once if openai is already imported
    except Exception as exc:
        _fail(exc, settings)
        return
    if not settings.propagate:
        os.environ.pop("HILT_ENABLED", None)


def _check(settings: Settings) -> None:
    """Problems that would otherwise only show on the first call: an unwritable log, missing credentials."""
    from hilt.exceptions import ConfigError

    if "local" in settings.backend:
        path = settings.log_file
        if not _writable(path):
            raise ConfigError(settings.sources["filepath"], "filepath", f"a writable file ({path} cannot be created)")
    if settings.credentials_path and not os.path.isfile(os.path.expanduser(settings.credentials_path)):
        raise ConfigError(settings.sources["credentials_path"], "credentials_path", "an existing service-account JSON file", settings.credentials_path)


def _writable(path: str) -> bool:
    if os.path.exists(path):
        return os.path.isfile(path) and os.access(path, os.W_OK)
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK)


def _configure_logging(settings: Settings) -> None:
    if settings.debug:  # HILT_DEBUG=1: HILT's own debug lines on stderr; the root logger is left alone
        import logging

        logger = logging.getLogger("hilt")
        logger.addHandler(logging.StreamHandler(sys.stderr))
        logger.setLevel(logging.DEBUG)


def _fail(exc: Exception, settings: Settings | None) -> None:
    strict = settings.strict if settings is not None else os.environ.get("HILT_STRICT", "").strip().lower() in ("1", "true", "yes", "on")
    what = str(exc) if type(exc).__name__ == "ConfigError" else f"{type(exc).__name__}: {exc}"
    # Children would only repeat this warning: they do not inherit the agent.
    os.environ.pop("HILT_ENABLED", None)
    try:
        if strict:
            sys.stderr.write(f"hilt: error: {what}; HILT_STRICT is set, so the program does not run\n")
            sys.stderr.flush()
            sys.stdout.flush()  # when openai is imported mid-program, what it printed so far still shows
            os._exit(STRICT_EXIT_STATUS)  # SystemExit would abort site initialisation with a fatal error
        sys.stderr.write(f"hilt: warning: {what}; this run is not instrumented\n")
        if os.environ.get("HILT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        sys.stderr.flush()
    except Exception:
        pass
