"""The ``redact`` setting: its forms, its errors, and what an untrusted project file may do with it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from hilt._config import load_settings
from hilt._trust import trust
from hilt.exceptions import ConfigError
from tests._folders import cwd, user_toml  # noqa: F401  (fixtures)

MODULE = "hilt_test_redactor_module"


def test_forms_of_the_setting(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> None:
    """A comma string, a list, duplicates and blanks all give one tuple in the order given; default: none."""
    assert load_settings().redact == ()
    monkeypatch.setenv("HILT_REDACT", " email, card ,,email,pkg.mod:scrub")
    settings = load_settings()
    assert settings.redact == ("email", "card", "pkg.mod:scrub")
    assert settings.sources["redact"] == "env HILT_REDACT"
    assert load_settings({"redact": ["ip", "ip"]}).redact == ("ip",)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("emial", "'emial'"), (["email", "not a path:"], "'not a path:'"), (42, "42"), ([3], "3")],
)
def test_a_bad_value_names_the_source_key_and_known_names(value: object, shown: str, cwd: Path) -> None:
    """An unknown name or a wrong type is a ConfigError listing the built-in names."""
    with pytest.raises(ConfigError) as caught:
        load_settings({"redact": value})
    message = str(caught.value)
    assert "instrument()" in message and "redact" in message and shown in message
    assert "email, phone, card, iban, ip, secrets" in message


def test_a_bad_name_in_a_trusted_file_names_the_file(user_toml: Path, cwd: Path) -> None:
    """The user's file with a typo: the error names that file and the key."""
    user_toml.write_text('redact = ["email", "phnoe"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(user_toml) in str(caught.value) and "redact" in str(caught.value) and "'phnoe'" in str(caught.value)


def test_a_table_is_not_a_redact_value(user_toml: Path, cwd: Path) -> None:
    """A TOML table for redact is refused with the expected shape."""
    user_toml.write_text("[redact]\nemail = true\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert 'an array of redactor names, e.g. ["email", "card"]' in str(caught.value)


def test_untrusted_file_adds_builtin_names_ignores_code_and_keeps_the_users(
    user_toml: Path, cwd: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An untrusted ./hilt.toml adds built-in redactors to the user's own; its module:function is ignored
    with the untrusted-file warning and never imported."""
    user_toml.write_text('redact = ["email"]\n')
    (cwd / "hilt.toml").write_text(f'redact = ["card", "{MODULE}:scrub"]\n')
    with caplog.at_level(logging.WARNING, logger="hilt"):
        settings = load_settings()
    assert settings.redact == ("email", "card")
    assert MODULE not in sys.modules
    path = str(cwd / "hilt.toml")
    [warning] = [r.getMessage() for r in caplog.records if r.name == "hilt"]
    assert warning.startswith(f"HILT ignored redact '{MODULE}:scrub' from {path}: this folder's config file is not trusted")


def test_untrusted_file_cannot_remove_the_users_redactors(user_toml: Path, cwd: Path) -> None:
    """redact = [] in an untrusted file leaves the user's redactors in place."""
    user_toml.write_text('redact = ["email", "secrets"]\n')
    (cwd / "hilt.toml").write_text("redact = []\n")
    assert load_settings().redact == ("email", "secrets")


def test_trusted_project_file_may_name_code(cwd: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After hilt config trust, the project's module:function applies and instrument() imports it."""
    import hilt

    (tmp_path / f"{MODULE}.py").write_text("def scrub(text):\n    return text.replace('x', 'y')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (cwd / "hilt.toml").write_text(f'redact = ["card", "{MODULE}:scrub"]\nfilepath = "events.jsonl"\n')
    trust("hilt.toml")
    settings = load_settings()
    assert settings.redact == ("card", f"{MODULE}:scrub")
    state = hilt.instrument()
    assert state.pipeline.privacy.redactor.names == ("card", f"{MODULE}:scrub")
    hilt.uninstrument()
    monkeypatch.delitem(sys.modules, MODULE)
