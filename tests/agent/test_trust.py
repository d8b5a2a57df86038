"""Untrusted folders: a project config file applies only its safe keys until ``hilt config trust``; secrets never echo."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import platformdirs
import pytest

from hilt._config import FIELDS, load_settings
from hilt._trust import SAFE_FILE_KEYS, config_files, store_path, trust, trusted_files, untrust
from hilt.cli import main as hilt_main
from hilt.exceptions import ConfigError
from hilt.privacy._names import BUILTIN_NAMES
from hilt_agent._bootstrap import STRICT_EXIT_STATUS

REPLY = "Hello! How can I help you today?\n"

HOSTILE = """\
backend = "sheets"
filepath = "~/.bashrc"
journal_path = "~/.profile"
sheet_id = "attacker-sheet"
credentials_path = "/tmp/attacker.json"
worksheet_name = "Theirs"
sheets_endpoint = "http://evil.example"
columns = ["prompt", "response"]
flush_interval = 100000
shutdown_timeout = 100000
strict = true
propagate = false
debug = true
capture_content = false

[prices.my-model]
input = 1.0
output = 2.0
"""
IGNORED = (
    "backend, filepath, journal_path, sheet_id, credentials_path, worksheet_name, sheets_endpoint, columns, "
    "flush_interval, shutdown_timeout, strict, propagate, debug"
)


SKIPPED = "HILT skipped it (an untrusted project file never stops HILT)"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hilt" and r.levelname == "WARNING"]


def test_untrusted_file_applies_only_safe_keys_with_one_warning(cwd: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A hostile ./hilt.toml changes only capture_content and prices; one warning names the ignored keys and the command."""
    (cwd / "hilt.toml").write_text(HOSTILE)
    with caplog.at_level("DEBUG", logger="hilt"):
        settings = load_settings()
        load_settings()
    path = str(cwd / "hilt.toml")
    assert {key for key in FIELDS if settings.sources[key] != "default"} == {"capture_content", "prices"} == SAFE_FILE_KEYS
    assert (settings.capture_content, settings.prices) == ("metadata", {"my-model": {"input": 1.0, "output": 2.0}})
    assert (settings.backend, settings.filepath, settings.strict, settings.propagate) == (("local",), None, False, True)
    assert warnings_of(caplog) == [
        f"HILT ignored {IGNORED} from {path}: this folder's config file is not trusted (it could redirect logs or "
        f"credentials); if you wrote it, run: hilt config trust '{path}'"
    ]


def test_trusted_file_applies_everything_until_edited(cwd: Path, caplog: pytest.LogCaptureFixture) -> None:
    """After trust() every key applies; an edit makes the file untrusted again."""
    (cwd / "hilt.toml").write_text('backend = "local"\nfilepath = "logs/app.jsonl"\nstrict = true\n')
    trust("hilt.toml")
    settings = load_settings()
    assert (settings.filepath, settings.strict, settings.sources["filepath"]) == ("logs/app.jsonl", True, str(cwd / "hilt.toml"))
    assert warnings_of(caplog) == []
    (cwd / "hilt.toml").write_text('backend = "local"\nfilepath = "/elsewhere.jsonl"\nstrict = true\n')
    settings = load_settings()
    assert (settings.filepath, settings.strict) == (None, False)
    assert trusted_files() == [(str(cwd / "hilt.toml"), "changed")]


def test_store_is_private_and_in_sha256sum_format(cwd: Path) -> None:
    """The store is <user_state_dir>/trusted, 0600 in a 0700 folder, one '<sha256>  <path>' line per file."""
    import hashlib

    content = b'filepath = "a.jsonl"\n'
    (cwd / "hilt.toml").write_bytes(content)
    trust(str(cwd / "hilt.toml"))
    store = Path(store_path())
    assert store == Path(platformdirs.user_state_dir("hilt", appauthor=False)) / "trusted"
    assert (stat.S_IMODE(store.stat().st_mode), stat.S_IMODE(store.parent.stat().st_mode)) == (0o600, 0o700)
    assert store.read_text() == f"{hashlib.sha256(content).hexdigest()}  {cwd / 'hilt.toml'}\n"
    assert untrust("hilt.toml") is True and untrust("hilt.toml") is False
    assert store.read_text() == "" and trusted_files() == []


def test_untrusted_capture_content_true_cannot_override_the_users_false(cwd: Path, user_toml: Path) -> None:
    """The user's capture_content = false stands against an untrusted true; a trusted file may turn it back on."""
    user_toml.write_text("capture_content = false\n")
    (cwd / "hilt.toml").write_text("capture_content = true\n")
    settings = load_settings()
    assert (settings.capture_content, settings.sources["capture_content"]) == ("metadata", str(user_toml))
    trust("hilt.toml")
    assert load_settings().capture_content == "full"


def test_untrusted_broken_file_never_raises(cwd: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Bad syntax, unknown keys or bad values in an untrusted file are ignored and listed; trusted, the same file raises."""
    (cwd / "hilt.toml").write_text("capture_content = \"yes\"\nfilepth = 1\nprices = 3\n")
    assert load_settings().sources == dict.fromkeys(FIELDS, "default")
    (cwd / "hilt.toml").write_text("filepath = \n")
    assert load_settings().sources == dict.fromkeys(FIELDS, "default")
    assert [f.describe() for f in config_files() if f.layer == "project"][0].startswith("read (not trusted): ignored the whole file (not valid TOML)")
    path = cwd / "hilt.toml"
    assert [m.split(": expected ")[0].split(" from ")[0] for m in warnings_of(caplog)] == [
        f"{path}: capture_content",
        f"{path}: filepth",
        f"{path}: prices",
        "HILT ignored the whole file (not valid TOML)",
    ]
    with pytest.raises(ConfigError):
        trust("hilt.toml")  # trust checks the file first
    monkeypatch.setenv("HILT_CONFIG", "hilt.toml")  # HILT_CONFIG is trusted: its errors surface
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert (info.value.source, info.value.key) == (str(cwd / "hilt.toml"), "TOML syntax")


def test_untrusted_bad_value_for_an_allowed_key_names_file_key_and_expected(cwd: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bad capture_content or prices value in an untrusted ./hilt.toml is skipped with a warning naming the file, the key
    and what is expected; the keys that need trust keep the usual warning."""
    (cwd / "hilt.toml").write_text('capture_content = "maybe"\nfilepath = "x.jsonl"\n[prices.my-model]\ninput = 1.0\n')
    with caplog.at_level("DEBUG", logger="hilt"):
        settings = load_settings()
        load_settings()
    path = cwd / "hilt.toml"
    assert settings.sources == dict.fromkeys(FIELDS, "default")
    assert warnings_of(caplog) == [
        f"{path}: capture_content: expected one of \"full\", \"metadata\", \"hash\" (or a boolean: true is full, false is "
        f"metadata), got 'maybe'; {SKIPPED}",
        f"{path}: prices: expected a table with 'input' and 'output' (and optionally 'cached_input', 'cache_write') for "
        f"'my-model', in USD per million tokens, got {{'input': 1.0}}; {SKIPPED}",
        f"HILT ignored filepath from {path}: this folder's config file is not trusted (it could redirect logs or "
        f"credentials); if you wrote it, run: hilt config trust '{path}'",
    ]
    assert [f.describe() for f in config_files() if f.layer == "project"][0] == (
        f"read (not trusted): skipped invalid capture_content, prices; ignored filepath; to apply them run: hilt config trust '{path}'"
    )


def test_untrusted_unknown_key_or_redactor_names_what_is_expected(cwd: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An unknown key or an unknown built-in redactor in an untrusted file gets the file/key/expected warning (trust would
    not fix it), and the file's valid keys still apply."""
    (cwd / "hilt.toml").write_text('capture_contnet = false\nredact = ["emial"]\ncapture_content = false\n')
    with caplog.at_level("DEBUG", logger="hilt"):
        settings = load_settings()
    path = cwd / "hilt.toml"
    assert (settings.capture_content, settings.redact, settings.sources["capture_content"]) == ("metadata", (), str(path))
    settings_list = ", ".join(key for key in FIELDS if key != "credentials_json")
    redactors = ", ".join(BUILTIN_NAMES)
    assert warnings_of(caplog) == [
        f"{path}: capture_contnet: expected one of the HILT settings: {settings_list}; {SKIPPED}",
        f"{path}: redact: expected built-in redactor names ({redactors}), \"module:function\" paths or functions, got 'emial'; {SKIPPED}",
    ]


def test_huge_project_file_is_not_read(cwd: Path) -> None:
    """A project file over 1 MiB (say, a symlink to a huge file) is skipped without being read in full."""
    (cwd / "hilt.toml").write_text("capture_content = false\n" + "#" * (1 << 20))
    settings = load_settings()
    assert settings.sources == dict.fromkeys(FIELDS, "default")
    assert [f.status for f in config_files() if f.layer == "project"][0] == "not read (larger than 1048576 bytes)"


def test_untrusted_pyproject_table_is_filtered_too(cwd: Path) -> None:
    """[tool.hilt] in ./pyproject.toml follows the same rule as ./hilt.toml."""
    (cwd / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.hilt]\nfilepath = "x.jsonl"\ncapture_content = false\n')
    settings = load_settings()
    assert (settings.filepath, settings.capture_content) == (None, "metadata")
    trust("pyproject.toml")
    assert load_settings().filepath == "x.jsonl"


def test_user_file_and_hilt_config_are_trusted(cwd: Path, user_toml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own config file and $HILT_CONFIG set any key without being trusted first."""
    user_toml.write_text('filepath = "mine.jsonl"\n')
    assert load_settings().filepath == "mine.jsonl"
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('journal_path = "j.jsonl"\n')
    monkeypatch.setenv("HILT_CONFIG", str(explicit))
    settings = load_settings()
    assert (settings.filepath, settings.journal_path, settings.sources["journal_path"]) == ("mine.jsonl", "j.jsonl", str(explicit))


def test_cli_trust_untrust_and_list(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """hilt config trust (default: this folder's file), trusted and untrust print what they did."""
    path = cwd / "hilt.toml"
    assert hilt_main(["config", "trust"]) == 1  # nothing to trust yet
    path.write_text('filepath = "a.jsonl"\nstrict = true\n')
    assert hilt_main(["config", "trust"]) == 0
    assert hilt_main(["config", "trusted"]) == 0
    path.write_text('filepath = "b.jsonl"\n')
    assert hilt_main(["config", "trusted"]) == 0
    assert hilt_main(["config", "untrust", str(path)]) == 0
    assert hilt_main(["config", "trusted"]) == 0
    out, err = capsys.readouterr()
    assert err == f"hilt: error: {cwd}: file: expected a hilt.toml, or a pyproject.toml with a [tool.hilt] table, in this folder (or name the file)\n"
    assert out.splitlines() == [
        f"trusted {path} (it sets: filepath, strict); editing it makes it untrusted again",
        f"trusted  {path}",
        f"changed  {path}  (edited since it was trusted: review it, then run hilt config trust '{path}')",
        f"untrusted {path}",
        "no trusted config files",
    ]


@pytest.mark.parametrize(
    "endpoint",
    ["http://evil.example", "http://sheets.googleapis.com", "ftp://127.0.0.1/", "https://", "http://127.example.com", "sheets.googleapis.com"],
)
def test_sheets_endpoint_must_be_https_from_every_source(cwd: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """A non-https endpoint (plain http to a non-loopback host) is refused from arguments, env and a trusted file."""
    with pytest.raises(ConfigError) as info:
        load_settings({"sheets_endpoint": endpoint})
    assert (info.value.source, info.value.expected) == ("instrument()", "an https:// URL (plain http only for a loopback host: 127.0.0.0/8, ::1 or localhost)")
    monkeypatch.setenv("HILT_SHEETS_ENDPOINT", endpoint)
    with pytest.raises(ConfigError, match="^environment variable HILT_SHEETS_ENDPOINT: sheets_endpoint: expected an https://"):
        load_settings()
    monkeypatch.delenv("HILT_SHEETS_ENDPOINT")
    (cwd / "other.toml").write_text(f'sheets_endpoint = "{endpoint}"\n')
    monkeypatch.setenv("HILT_CONFIG", "other.toml")
    with pytest.raises(ConfigError, match=f"^{cwd / 'other.toml'}: sheets_endpoint: expected an https://"):
        load_settings()


@pytest.mark.parametrize(
    "endpoint", ["https://sheets.example.com/proxy", "http://127.0.0.1:8080", "http://127.5.6.7", "http://[::1]:9000", "http://localhost:1"]
)
def test_https_and_loopback_http_endpoints_are_accepted(cwd: Path, endpoint: str) -> None:
    """https anywhere and plain http to 127.0.0.0/8, ::1 or localhost (the test servers) are accepted."""
    assert load_settings({"sheets_endpoint": endpoint}).sheets_endpoint == endpoint


def test_endpoint_error_hides_url_credentials(cwd: Path) -> None:
    """user:password in a refused endpoint URL never reaches the message."""
    with pytest.raises(ConfigError) as info:
        load_settings({"sheets_endpoint": "http://user:hunter2@evil.example/x"})
    assert "hunter2" not in str(info.value) and str(info.value).endswith("got 'http://***@evil.example/x'")


PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize("value", [[{"private_key": PRIVATE_KEY}], PRIVATE_KEY.encode(), {"private_key": PRIVATE_KEY, "x": {1, 2}}])
def test_invalid_credentials_json_error_never_shows_the_value(cwd: Path, value: object) -> None:
    """instrument(credentials_json=<invalid>) raises a ConfigError that does not contain the private key."""
    with pytest.raises(ConfigError) as info:
        load_settings({"credentials_json": value})
    assert "PRIVATE KEY" not in str(info.value) and "MIIEvQ" not in repr(info.value.args) and info.value.got is None
    assert str(info.value) == (
        "instrument(): credentials_json: expected the service-account JSON as a string or a dict of JSON values "
        f"(got a {type(value).__name__}; value not shown)"
    )


def test_credentials_json_dict_is_accepted_as_json(cwd: Path) -> None:
    """A dict is serialised to the JSON text the Sheets writer parses."""
    info = {"type": "service_account", "private_key": PRIVATE_KEY}
    assert json.loads(load_settings({"credentials_json": info}).credentials_json) == info


def test_unknown_key_error_does_not_echo_its_value(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt key in a trusted file is named, its value (maybe a secret) is not."""
    (cwd / "hilt.toml").write_text('private_key = "s3cr3t-value"\n')
    monkeypatch.setenv("HILT_CONFIG", "hilt.toml")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == "private_key" and "s3cr3t" not in str(info.value)


# The agent, in real processes.


def test_agent_untrusted_strict_cannot_stop_the_program(venv, run, workdir: Path) -> None:
    """strict = true plus a missing credentials file in an untrusted ./hilt.toml: the program runs and logs; one warning line."""
    (workdir / "hilt.toml").write_text('strict = true\ncredentials_path = "/nonexistent/key.json"\nbackend = "sheets"\n')
    log = workdir / "events.jsonl"
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(log)})
    path = workdir / "hilt.toml"
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        f"HILT ignored strict, credentials_path, backend from {path}: this folder's config file is not trusted "
        f"(it could redirect logs or credentials); if you wrote it, run: hilt config trust {path}\n"
    )
    assert [json.loads(line)["action"] for line in log.read_text().splitlines()] == ["prompt", "completion"]


def test_agent_obeys_the_file_once_trusted_with_the_cli(venv, run, workdir: Path) -> None:
    """`hilt config trust` in a real process: the agent then applies the file's strict and exits 78 on its problem."""
    (workdir / "hilt.toml").write_text('strict = true\ncredentials_path = "/nonexistent/key.json"\n')
    trusted = run([venv.bin / "hilt", "config", "trust"])
    assert (trusted.returncode, trusted.stderr) == (0, "")
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1"})
    assert (result.returncode, result.stdout) == (STRICT_EXIT_STATUS, "")
    assert result.stderr.startswith(f"hilt: error: {workdir / 'hilt.toml'}: credentials_path: expected an existing service-account JSON file")


def test_info_lists_every_config_file_considered(venv, run, workdir: Path, tmp_path: Path) -> None:
    """--info shows each candidate file: not found, read and trusted, or read with the ignored keys and the command."""
    (workdir / "hilt.toml").write_text('filepath = "x.jsonl"\ncapture_content = false\n')
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("debug = false\n")
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "hilt" / "hilt.toml"
    result = run([venv.bin / "hilt-agent", "--info", "--config", explicit])
    lines = result.stdout.splitlines()
    start = lines.index("config files (lowest precedence first; HILT_* variables and flags override them):")
    project = workdir / "hilt.toml"
    assert lines[start + 1 : start + 5] == [
        f"  user config  {user}  not found",
        f"  project      {project}  read (not trusted): ignored filepath; to apply them run: hilt config trust {project}",
        f"  project      {workdir / 'pyproject.toml'}  not read (hilt.toml comes first)",
        f"  HILT_CONFIG  {explicit}  read (trusted: yours)",
    ]
    assert result.stderr == ""


def test_info_never_prints_secret_values(venv, run) -> None:
    """--info shows credentials_json as set and an endpoint's user:password as ***, nothing more."""
    env = {"HILT_CREDENTIALS_JSON": PRIVATE_KEY, "HILT_SHEETS_ENDPOINT": "https://user:hunter2@sheets.example.com"}
    result = run([venv.bin / "hilt-agent", "--info"], env)
    assert result.returncode == 0, result.stderr
    assert "MIIEvQ" not in result.stdout + result.stderr and "hunter2" not in result.stdout + result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith(("  credentials_json ", "  sheets_endpoint "))]
    assert lines == [
        ["credentials_json", "***", "(set)", "env", "HILT_CREDENTIALS_JSON"],
        ["sheets_endpoint", "'https://***@sheets.example.com'", "env", "HILT_SHEETS_ENDPOINT"],
    ]


@pytest.mark.parametrize(("text", "hashed"), [(None, False), ("capture_content = false\n", False), ('filepath = "x.jsonl"\n', True)])
def test_agent_hashes_the_project_file_only_when_a_key_needs_trust(venv, run, workdir: Path, text: str | None, hashed: bool) -> None:
    """At start-up hashlib is imported only for a project file that sets a key needing trust."""
    if text is not None:
        (workdir / "hilt.toml").write_text(text)
    code = "import sys; print('hashlib' in sys.modules)"
    result = run([venv.python, "-c", code], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(workdir / "e.jsonl")})
    assert result.stdout == f"{hashed}\n"
