"""Which config files HILT reads, and how far it trusts each one (modelled on ``direnv allow`` / ``mise trust``).

A config file in the current folder (``./hilt.toml``, ``[tool.hilt]`` of ``./pyproject.toml``) may come
from a cloned repository, so it is untrusted: only :data:`SAFE_FILE_KEYS` apply from it, until the user
runs ``hilt config trust FILE``. That records the file's absolute path and the SHA-256 of its content
in ``trusted`` in the user's state folder (platformdirs ``user_state_dir("hilt")``, e.g.
``~/.local/state/hilt/trusted``; the folder 0700, the file 0600), one ``<sha256>  <path>`` line per file,
the ``sha256sum`` format. An edited file is untrusted again. The user's own config file and
``$HILT_CONFIG`` are always trusted.

The agent may call this at interpreter start-up: it imports only ``os`` and ``sys``; ``tomllib`` when
a file exists, ``hashlib`` only when an untrusted file sets a key that trust would change.
"""

from __future__ import annotations

import os

from ._config_files import check_file_value, parse_table, read_bytes, read_config_file
from ._settings import FIELDS, SECRET_FIELDS
from ._user_dirs import user_dir
from .exceptions import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "SAFE_FILE_KEYS",
    "ConfigFile",
    "config_files",
    "is_trusted",
    "merge_files",
    "trust",
    "trust_command",
    "trusted_files",
    "untrust",
    "warn_ignored",
]


class ConfigFile:
    """A config file HILT considered, and what it contributed (``hilt-agent --info`` lists them).

    ``layer`` is ``"user config"``, ``"project"`` or ``"HILT_CONFIG"``; ``status`` says what happened
    (``"read"``, ``"not found"``, ...); ``values`` are the settings applied from it; ``ignored`` the keys
    of an untrusted project file that were not applied; ``invalid`` the errors of an untrusted project file's
    values that no trust would fix (skipped: a bad key, or a bad value of a key it may set); ``trusted`` is
    ``None`` when it did not matter.
    """

    __slots__ = ("path", "layer", "status", "values", "ignored", "trusted", "invalid")

    def __init__(
        self,
        path: str,
        layer: str,
        status: str,
        values: dict[str, Any] | None = None,
        ignored: tuple[str, ...] = (),
        trusted: bool | None = None,
        invalid: tuple[ConfigError, ...] = (),
    ) -> None:
        self.path, self.layer, self.status = path, layer, status
        self.values, self.ignored, self.trusted, self.invalid = values or {}, ignored, trusted, invalid

    def describe(self) -> str:
        """One line for ``--info``: what was read and, for an untrusted file, what was ignored and how to trust it."""
        if self.status != "read":
            return self.status
        if self.layer != "project":
            return "read (trusted: yours)"
        if self.trusted:
            return "read (trusted with hilt config trust)"
        if self.trusted is None:
            return "read (only keys an untrusted file may set: trust not needed)"
        notes = [f"skipped invalid {', '.join(error.key for error in self.invalid)}"] if self.invalid else []
        if self.ignored:
            notes.append(f"ignored {', '.join(self.ignored)}; to apply them run: {trust_command(self.path)}")
        return "read (not trusted): " + "; ".join(notes)


SAFE_FILE_KEYS = frozenset({"capture_content", "prices"})
"""The keys an untrusted project file may set: none can send data or credentials elsewhere, write a file,
or stop or stall a program. ``capture_content`` only records less: a value that keeps more text than the
user's own config file (``full`` against their ``hash`` or ``metadata``, ``hash`` against ``metadata``) is
ignored. ``redact`` is handled apart: an untrusted file may add built-in redactors to the user's own, and
its ``"module:function"`` entries are ignored (never imported)."""


MAX_PROJECT_FILE_BYTES = 1 << 20
"""A larger project file is not read at all (it could be a symlink to a huge file, read by every process)."""


def trust_command(path: str) -> str:
    """The command that trusts ``path``, quoted for a POSIX shell."""
    safe = all(c.isalnum() or c in "/._-+:,@%=" for c in path)
    return "hilt config trust " + (path if safe and path else "'" + path.replace("'", "'\\''") + "'")


def config_files(environ: Mapping[str, str] | None = None, cwd: str | None = None) -> list[ConfigFile]:
    """Every config file HILT considers, lowest precedence first; raises ``ConfigError`` for a bad trusted file.

    The user config file (``hilt.toml`` in the platformdirs user config folder), then the project file
    (``./hilt.toml``, else ``[tool.hilt]`` of ``./pyproject.toml``; only :data:`SAFE_FILE_KEYS` apply
    unless the file is trusted), then ``$HILT_CONFIG``. Each file's keys override those of the files before it.
    """
    environ = os.environ if environ is None else environ
    cwd = os.getcwd() if cwd is None else cwd
    explicit = environ.get("HILT_CONFIG", "").strip()
    explicit_path = os.path.abspath(os.path.join(cwd, os.path.expanduser(explicit))) if explicit else ""
    if explicit_path and not os.path.isfile(explicit_path):
        raise ConfigError(explicit_path, "HILT_CONFIG", "an existing TOML file")
    user = _trusted_file(os.path.join(user_dir("config"), "hilt.toml"), "user config", False)
    files = [user, *_project_files(cwd, user, explicit_path)]
    if explicit_path:
        files.append(_trusted_file(explicit_path, "HILT_CONFIG", os.path.basename(explicit_path) == "pyproject.toml"))
    return files


def _trusted_file(path: str, layer: str, is_pyproject: bool) -> ConfigFile:
    data = read_bytes(path)
    if data is None:
        return ConfigFile(path, layer, "not found")
    table = parse_table(path, data, is_pyproject)
    if table is None:
        return ConfigFile(path, layer, "no [tool.hilt] table")
    return ConfigFile(path, layer, "read", {key: check_file_value(key, value, path) for key, value in table.items()}, trusted=True)


def _project_files(cwd: str, user: ConfigFile, explicit_path: str) -> list[ConfigFile]:
    """``./hilt.toml`` and ``./pyproject.toml``: the first with HILT settings is read, as far as it is trusted."""
    entries: list[ConfigFile] = []
    for name, is_pyproject in (("hilt.toml", False), ("pyproject.toml", True)):
        path = os.path.join(cwd, name)
        if any(entry.status == "read" for entry in entries):
            entries.append(ConfigFile(path, "project", "not read (hilt.toml comes first)"))
            continue
        for other, what in ((user.path, "the user config file"), (explicit_path, "HILT_CONFIG")):
            if other and os.path.isfile(path) and os.path.isfile(other) and os.path.samefile(path, other):
                entries.append(ConfigFile(path, "project", f"read as {what}"))
                break
        else:
            entries.append(_project_file(path, is_pyproject, user.values.get("capture_content"), user.values.get("redact", ())))
    return entries


_CAPTURE_RANK = {"metadata": 0, "hash": 1, "full": 2}  # how much text each mode records


def _records_no_more(mode: str, user_mode: str | None) -> bool:
    """Whether an untrusted ``capture_content = mode`` keeps at most the text the user's own setting keeps."""
    return _CAPTURE_RANK[mode] <= _CAPTURE_RANK[user_mode or "full"]


def _project_file(path: str, is_pyproject: bool, user_capture: str | None, user_redact: tuple[Any, ...] = ()) -> ConfigFile:
    """Read ``path``; an untrusted one contributes only its safe keys and never raises."""
    try:
        data = read_bytes(path, MAX_PROJECT_FILE_BYTES)
    except ConfigError:
        return ConfigFile(path, "project", "not read (unreadable)")  # it cannot be hashed, so it cannot be trusted
    if data is not None and len(data) > MAX_PROJECT_FILE_BYTES:  # e.g. a symlink to a huge file: never stall start-up
        return ConfigFile(path, "project", f"not read (larger than {MAX_PROJECT_FILE_BYTES} bytes)")
    if data is None or (is_pyproject and b"hilt" not in data):  # most pyproject.toml have no [tool.hilt]: skip tomllib
        return ConfigFile(path, "project", "not found" if data is None else "no [tool.hilt] table")
    try:
        table, problem = parse_table(path, data, is_pyproject), None
    except ConfigError as exc:
        table, problem = {}, exc
    if table is None:
        return ConfigFile(path, "project", "no [tool.hilt] table")
    safe, ignored, invalid = {}, [], []
    for key, value in table.items():
        try:
            if key == "redact":
                safe[key], paths = _untrusted_redact(value, path, user_redact)
                ignored.extend(f"redact {item!r}" for item in paths)
                continue
            if key not in FIELDS or key in SECRET_FIELDS:  # an unknown key or a secret: never applied from a file
                check_file_value(key, value, path)  # raises the error naming the file, the key and what is expected
                raise ConfigError(path, key, "a HILT setting that a config file may hold")
            if key in SAFE_FILE_KEYS:  # checked alike, trusted or not
                checked = check_file_value(key, value, path)
                if key != "capture_content" or _records_no_more(checked, user_capture):
                    safe[key] = checked
                    continue
        except ConfigError as exc:  # trusting the file would not fix it: say what is wrong, then go on without it
            invalid.append(exc)
            continue
        ignored.append(key)
    if problem is None and not ignored and not invalid:
        return ConfigFile(path, "project", "read", safe)
    if is_trusted(path, data):
        if problem is not None:
            raise problem
        return ConfigFile(path, "project", "read", {key: check_file_value(key, value, path) for key, value in table.items()}, trusted=True)
    if problem is not None:
        why = "not valid TOML" if problem.key == "TOML syntax" else "[tool.hilt] is not a table"
        return ConfigFile(path, "project", "read", ignored=(f"the whole file ({why})",), trusted=False)
    return ConfigFile(path, "project", "read", safe, tuple(ignored), trusted=False, invalid=tuple(invalid))


def _untrusted_redact(value: Any, path: str, user_redact: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """An untrusted file may add built-in redactors to the user's own, never name code to import.

    Returns the redactors that apply (the user file's, then the file's built-in names) and the file's
    ``"module:function"`` entries, which are ignored (and reported with the other ignored keys).
    """
    chosen = check_file_value("redact", value, path)
    paths = [item for item in chosen if ":" in item]
    return tuple(dict.fromkeys([*user_redact, *(item for item in chosen if ":" not in item)])), paths


def merge_files(files: list[ConfigFile]) -> dict[str, tuple[Any, str]]:
    """The settings of ``files`` merged per key (later files win), as ``{key: (value, path)}``."""
    merged: dict[str, tuple[Any, str]] = {}
    for entry in files:
        merged.update((key, (value, entry.path)) for key, value in entry.values.items())
    return merged


def warn_ignored(files: list[ConfigFile]) -> None:
    """Warn (once per process, ``hilt`` logger) about what an untrusted project file did not apply: one line per
    invalid value (file, key, expected), then one line for the keys that need trust."""
    for entry in files:
        if not (entry.invalid or entry.ignored):
            continue
        from ._safety import report

        for error in entry.invalid:
            report(f"invalid-config:{entry.path}:{error.key}", "%s; HILT skipped it (an untrusted project file never stops HILT)", error)
        if entry.ignored:
            report(
                f"untrusted-config:{entry.path}",
                "HILT ignored %s from %s: this folder's config file is not trusted (it could redirect logs or credentials); "
                "if you wrote it, run: %s",
                ", ".join(entry.ignored),
                entry.path,
                trust_command(entry.path),
            )


# The trust store.


def store_path() -> str:
    """``trusted`` in the user's state folder (``$XDG_STATE_HOME/hilt/trusted`` on Linux)."""
    return os.path.join(user_dir("state"), "trusted")


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _read_store() -> dict[str, str]:
    """``{absolute path: sha256}`` of the trusted files (empty when there is no store yet)."""
    try:
        with open(store_path(), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(store_path(), "trust store", f"a readable file ({exc})") from None
    store = {}
    for line in lines:
        digest, sep, path = line.partition("  ")
        if sep and len(digest) == 64:
            store[path] = digest
    return store


def _write_store(store: dict[str, str]) -> None:
    """Replace the store atomically: a 0600 file in a 0700 folder."""
    path = store_path()
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    from pathlib import Path

    from .writers._log_files import replace_private_file

    lines = "".join(f"{digest}  {file}\n" for file, digest in sorted(store.items()))
    replace_private_file(Path(path), lines.encode("utf-8"))


def is_trusted(path: str, data: bytes) -> bool:
    """Whether the user trusted ``path`` with exactly this content."""
    return _read_store().get(os.path.abspath(path)) == _digest(data)


def trust(path: str) -> tuple[str, dict[str, Any]]:
    """Trust ``path`` as it is now, after checking it as a trusted file would be; returns its absolute path and settings.

    Raises:
        ConfigError: the file is missing, has no HILT settings, or a setting is invalid.
    """
    path = os.path.abspath(path)
    if "\n" in path or "\r" in path:
        raise ConfigError(path, "file", "a path without line breaks")
    data, values = read_config_file(path)
    store = _read_store()
    store[path] = _digest(data)
    _write_store(store)
    return path, values


def untrust(path: str) -> bool:
    """Forget ``path``; ``False`` when it was not trusted."""
    path = os.path.abspath(path)
    store = _read_store()
    if store.pop(path, None) is None:
        return False
    _write_store(store)
    return True


def trusted_files() -> list[tuple[str, str]]:
    """``(path, state)`` per trusted file; state is ``trusted``, ``changed`` (edited since) or ``missing``."""
    rows = []
    for path, digest in sorted(_read_store().items()):
        try:
            with open(path, "rb") as f:
                state = "trusted" if _digest(f.read()) == digest else "changed"
        except OSError:
            state = "missing"
        rows.append((path, state))
    return rows
