"""The configuration model: sources, precedence, TOML discovery and errors naming file, key and expected."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from hilt._config import FIELDS, default_log_path, load_settings
from hilt._user_dirs import user_dir
from hilt._trust import trust
from hilt.exceptions import ConfigError


def test_defaults_have_source_default(cwd: Path) -> None:
    """With nothing configured every value is the default and says so."""
    settings = load_settings()
    assert settings.sources == dict.fromkeys(FIELDS, "default")
    assert (settings.backend, settings.filepath, settings.capture_content) == (("local",), None, "full")
    assert settings.log_path == Path(platformdirs.user_log_dir("hilt", appauthor=False)) / "hilt.jsonl"


def test_precedence_argument_over_env_over_toml(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """instrument() arguments > HILT_* > TOML > defaults, each value labelled with its source."""
    (cwd / "hilt.toml").write_text('filepath = "toml.jsonl"\nworksheet_name = "T"\ncapture_content = false\n')
    monkeypatch.setenv("HILT_FILEPATH", "env.jsonl")
    monkeypatch.setenv("HILT_WORKSHEET_NAME", "E")
    settings = load_settings({"filepath": "arg.jsonl", "backend": None})
    toml = str(cwd / "hilt.toml")
    assert (settings.filepath, settings.worksheet_name, settings.capture_content) == ("arg.jsonl", "E", "metadata")
    assert {k: settings.sources[k] for k in ("filepath", "worksheet_name", "capture_content", "backend")} == {
        "filepath": "argument",
        "worksheet_name": "env HILT_WORKSHEET_NAME",
        "capture_content": toml,
        "backend": "default",
    }


def test_empty_env_counts_as_unset(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HILT_FILEPATH= (empty) leaves the TOML value in force."""
    (cwd / "hilt.toml").write_text('filepath = "toml.jsonl"\n')
    trust("hilt.toml")
    monkeypatch.setenv("HILT_FILEPATH", "  ")
    assert load_settings().filepath == "toml.jsonl"


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("TRUE", True), ("yes", True), ("On", True), ("0", False), ("false", False), ("no", False), ("OFF", False)])
def test_env_booleans(cwd: Path, monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    """Booleans accept 1/true/yes/on and 0/false/no/off in any case."""
    monkeypatch.setenv("HILT_STREAM_USAGE", raw)
    assert load_settings().stream_usage is value


def test_bad_env_boolean_names_the_variable(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything else is an error naming the variable."""
    monkeypatch.setenv("HILT_STREAM_USAGE", "maybe")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == "environment variable HILT_STREAM_USAGE: stream_usage: expected a boolean: 1/true/yes/on or 0/false/no/off, got 'maybe'"


def test_files_merge_per_key_in_documented_order(cwd: Path, monkeypatch: pytest.MonkeyPatch, user_toml: Path, tmp_path: Path) -> None:
    """User file < project file < HILT_CONFIG < env < argument, merged key by key, each value naming its source."""
    user_toml.write_text('worksheet_name = "user"\nfilepath = "user.jsonl"\nflush_interval = 1.0\nsheet_id = "u"\ndebug = true\n')
    (cwd / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.hilt]: skipped
    assert load_settings().sources["worksheet_name"] == str(user_toml)
    (cwd / "pyproject.toml").write_text('[tool.hilt]\nworksheet_name = "pyproject"\nflush_interval = 2.0\nsheet_id = "p"\n')
    trust("pyproject.toml")
    assert (load_settings().worksheet_name, load_settings().filepath) == ("pyproject", "user.jsonl")
    (cwd / "hilt.toml").write_text('worksheet_name = "local"\nflush_interval = 3.0\nsheet_id = "l"\n')  # wins over pyproject.toml
    trust("hilt.toml")
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('flush_interval = 4.0\nsheet_id = "e"\n')
    monkeypatch.setenv("HILT_CONFIG", str(explicit))
    monkeypatch.setenv("HILT_SHEET_ID", "env")
    settings = load_settings({"debug": False})
    project = str(cwd / "hilt.toml")
    got = {key: (getattr(settings, key), settings.sources[key]) for key in ("filepath", "worksheet_name", "flush_interval", "sheet_id", "debug")}
    assert got == {
        "filepath": ("user.jsonl", str(user_toml)),
        "worksheet_name": ("local", project),
        "flush_interval": (4.0, str(explicit)),
        "sheet_id": ("env", "env HILT_SHEET_ID"),
        "debug": (False, "argument"),
    }


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('filepth = "x"\n', "filepth", "one of the HILT settings: "),
        ("capture_content = \"yes\"\n", "capture_content", 'one of "full", "metadata", "hash" (or a boolean: true is full, false is metadata)'),
        ("flush_interval = \"5\"\n", "flush_interval", "a number of seconds"),
        ("columns = \"a,b\"\n", "columns", "an array of column names"),
        ('backend = "mysql"\n', "backend", "one or more of local, sheets, otlp"),
        ('credentials_json = "{}"\n', "credentials_json", "no secret in a config file: set HILT_CREDENTIALS_JSON or credentials_path instead"),
        ("filepath = \n", "TOML syntax", "valid TOML (Invalid value (at line 1, column 12))"),
    ],
)
def test_file_errors_name_file_key_and_expected(cwd: Path, monkeypatch: pytest.MonkeyPatch, text: str, key: str, expected: str) -> None:
    """In a trusted file, an unknown key, a wrong type, a secret or bad syntax is a ConfigError naming file, key and expectation."""
    (cwd / "hilt.toml").write_text(text)
    monkeypatch.setenv("HILT_CONFIG", "hilt.toml")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert (info.value.source, info.value.key) == (str(cwd / "hilt.toml"), key)
    assert info.value.expected.startswith(expected)


def test_missing_hilt_config_file(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HILT_CONFIG pointing nowhere is an error naming that path."""
    monkeypatch.setenv("HILT_CONFIG", "nope.toml")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert (info.value.source, info.value.key, info.value.expected) == (str(cwd / "nope.toml"), "HILT_CONFIG", "an existing TOML file")


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "/home/u", "XDG_CONFIG_HOME": "", "XDG_STATE_HOME": ""},
        {"HOME": "/home/u", "XDG_CONFIG_HOME": "/x/cfg", "XDG_STATE_HOME": "/x/state"},
        {"HOME": "/home/u/", "XDG_CONFIG_HOME": "relative", "XDG_STATE_HOME": "rel"},
    ],
)
def test_user_dirs_match_platformdirs(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The start-up shortcut for the user config/log folders agrees with platformdirs."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert user_dir("config") == platformdirs.user_config_dir("hilt", appauthor=False)
    assert user_dir("log") == platformdirs.user_log_dir("hilt", appauthor=False)
    assert user_dir("state") == platformdirs.user_state_dir("hilt", appauthor=False)
    assert default_log_path() == platformdirs.user_log_path("hilt", appauthor=False) / "hilt.jsonl"


def test_settings_are_immutable_and_replaceable(cwd: Path) -> None:
    """Settings cannot be changed in place; replace() returns a copy with the change marked as an argument."""
    settings = load_settings()
    with pytest.raises(AttributeError):
        settings.backend = "sheets"  # type: ignore[misc]
    changed = settings.replace(worksheet_name="W")
    assert (changed.worksheet_name, changed.sources["worksheet_name"], settings.worksheet_name) == ("W", "argument", "Logs")
    assert changed != settings and settings.replace() == settings
    assert "credentials_json=***" in repr(settings.replace(credentials_json="secret"))
    assert os.fspath(settings.log_path) == settings.log_file
