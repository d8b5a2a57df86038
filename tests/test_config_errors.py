"""Configuration mistakes a user makes: each is an error naming the source, the key and what is expected
(and an untrusted file with one never raises)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hilt
from hilt._config import load_settings
from hilt.exceptions import ConfigError
from tests._folders import cwd  # noqa: F401 - fixture

BAD_PRICES = 'prices = {my-model = {input = "x"}}\n'


def test_bad_price_table_in_hilt_config_names_file_and_key(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A price table without 'output' in $HILT_CONFIG raises ConfigError naming the file, prices and what is expected."""
    (cwd / "mine.toml").write_text(BAD_PRICES)
    monkeypatch.setenv("HILT_CONFIG", "mine.toml")
    with pytest.raises(ConfigError) as info:
        hilt.instrument(filepath="events.jsonl")
    assert (info.value.source, info.value.key) == (str(cwd / "mine.toml"), "prices")
    assert str(info.value) == (
        f"{cwd / 'mine.toml'}: prices: expected a table with 'input' and 'output' (and optionally 'cached_input', "
        "'cache_write') for 'my-model', in USD per million tokens, got {'input': 'x'}"
    )


def test_untrusted_bad_price_table_is_ignored_and_calls_are_logged(
    cwd: Path, client, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    """A malformed price table in an untrusted ./hilt.toml is skipped with a warning naming the file, prices and what is
    expected; instrument() works and logs the call."""
    (cwd / "hilt.toml").write_text(BAD_PRICES)
    with caplog.at_level("WARNING", logger="hilt"):
        assert load_settings().prices == {}
        hilt.instrument(filepath="events.jsonl")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    hilt.uninstrument()
    lines = (cwd / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["prompt", "completion"]
    assert [r.getMessage() for r in caplog.records if r.name == "hilt"] == [
        f"{cwd / 'hilt.toml'}: prices: expected a table with 'input' and 'output' (and optionally 'cached_input', "
        "'cache_write') for 'my-model', in USD per million tokens, got {'input': 'x'}; HILT skipped it (an untrusted "
        "project file never stops HILT)"
    ]


@pytest.mark.parametrize("source", ["file", "env"])
def test_a_rotate_size_without_unit_is_an_error(cwd: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:  # noqa: F811
    """rotate = 100 (meant as 100 MB?) is not taken as 100 bytes, a new file per event: the error asks for a unit."""
    if source == "file":
        (cwd / "mine.toml").write_text("rotate = 100\n")
        monkeypatch.setenv("HILT_CONFIG", "mine.toml")
        where = str(cwd / "mine.toml")
    else:
        monkeypatch.setenv("HILT_ROTATE", "100")
        where = "environment variable HILT_ROTATE"
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert (info.value.source, info.value.key) == (where, "rotate")
    assert "a size such as" in info.value.expected
