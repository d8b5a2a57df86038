"""docs/configuration.md lists every setting as the code defines it (``python -m scripts.config_docs``)."""

from __future__ import annotations

import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from hilt._config import FIELDS, SECRET_FIELDS, Settings, env_name
from hilt._settings_help import SETTINGS_HELP, plain
from hilt._trust import SAFE_FILE_KEYS

from scripts.config_docs import END, START, how_to_fix, missing_help

from tests._docs import ROOT

PAGE = ROOT / "docs" / "configuration.md"


def table_rows() -> dict[str, list[str]]:
    """The generated table of the page as ``{key: cells}``."""
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index(START) + len(START) : text.index(END)]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines()[3:]:
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_setting_has_help():
    """Each key of hilt._config.FIELDS has an accepted-values text and a description in hilt._settings_help."""
    missing = missing_help()
    assert not missing, how_to_fix(missing)
    assert set(SETTINGS_HELP) <= set(FIELDS), f"help for settings that no longer exist: {set(SETTINGS_HELP) - set(FIELDS)}"


def test_page_equals_the_generator_output():
    """docs/configuration.md holds exactly what python -m scripts.config_docs writes."""
    result = subprocess.run(
        [sys.executable, "-m", "scripts.config_docs", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_table_rows_name_every_setting_in_order_with_its_env_name():
    """The table has one row per setting, in FIELDS order, with the environment name HILT_<KEY>."""
    rows = table_rows()
    assert list(rows) == list(FIELDS)
    assert [cells[1] for cells in rows.values()] == [f"`{env_name(key)}`" for key in FIELDS]


def test_table_defaults_equal_settings_defaults():
    """Each default cell, read back as a TOML value, equals Settings()'s value (``unset`` is None)."""
    defaults = Settings()
    for key, cells in table_rows().items():
        expected = getattr(defaults, key)
        if cells[2] == "unset":
            assert expected is None, key
            continue
        value = tomllib.loads("value = " + cells[2].strip("`"))["value"]
        if isinstance(expected, tuple):
            value = tuple(value)
        assert value == expected and type(value) is type(expected), key


def test_set_from_column_follows_the_trust_rules():
    """Secrets say environment or argument only, the keys an untrusted file may set say any, the rest trusted."""
    for key, cells in table_rows().items():
        expected = "secret" if key in SECRET_FIELDS else "any" if key in SAFE_FILE_KEYS else "trusted"
        assert cells[4] == expected, key


def test_how_to_fix_names_the_file_the_key_and_the_command():
    """The failure message for a setting without help says where to add it and what to run."""
    message = how_to_fix(["sample_rate"])
    assert message.splitlines() == [
        "no help for the setting(s) sample_rate: add to SETTINGS_HELP in hilt/_settings_help.py",
        '    "sample_rate": ("<accepted values>", "<one-sentence description>"),',
        "then run: python -m scripts.config_docs   (rewrites the table in docs/configuration.md)",
    ]


def test_plain_strips_markdown_for_the_terminal():
    """Help shown by hilt-agent --help drops links in parentheses, keeps other links' labels, and has no backquotes or bold marks."""
    assert plain("See [events](events.md#size-limits): `0` is **no** limit ([below](#x)).") == "See events: 0 is no limit."


def test_hilt_agent_help_shows_the_description():
    """hilt-agent --help gives each setting's flag its environment name and its description as plain text."""
    from hilt_agent.launcher import build_parser

    helps = {action.dest: action.help for action in build_parser()._actions}
    assert helps["filepath"] == "sets HILT_FILEPATH: The JSONL log file. Unset: hilt.jsonl in the per-user log folder."
    assert helps["stream_usage"] == (
        "sets HILT_STREAM_USAGE: Ask for usage on streamed Chat Completions calls that did not: "
        "the one setting that changes the request body."
    )


def test_start_up_modules_do_not_load_the_help():
    """hilt._config and hilt._trust, which the agent imports at interpreter start-up, leave the help module unloaded."""
    code = "import sys, hilt._config, hilt._trust; print('hilt._settings_help' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={"PATH": ""})
    assert (result.stdout, result.stderr) == ("False\n", "")
