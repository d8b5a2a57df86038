"""The ``metadata`` setting and ``hilt.conversation(metadata=...)``: compliance labels on every event, in every backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hilt
from hilt import ConfigError
from hilt._config import load_settings
from hilt.testing import read_lines

from tests.privacy._backends import every_backend

LABELS = {"legal_basis": "contract", "retention": "P30D"}


def test_the_setting_travels_on_every_event_under_the_conversations_own(client: Any, log_path: Path) -> None:
    """Prompt, completion and error events carry the setting's labels; a conversation's own values win on a shared key."""
    hilt.instrument(filepath=str(log_path), metadata=LABELS)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with hilt.conversation(metadata={"retention": "P7D", "ticket": 42}):
        with pytest.raises(Exception, match="503"):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_headers={"x-fake-status": "503"}
            )
    hilt.uninstrument()
    assert [(e["action"], e["extensions"]["metadata"]) for e in read_lines(log_path)] == [
        ("prompt", LABELS),
        ("completion", LABELS),
        ("prompt", {"legal_basis": "contract", "retention": "P7D", "ticket": 42}),
        ("system", {"legal_basis": "contract", "retention": "P7D", "ticket": 42}),
    ]


def test_the_environment_gives_a_json_object(client: Any, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HILT_METADATA is a JSON object of labels."""
    monkeypatch.setenv("HILT_METADATA", json.dumps({"legal_basis": "consent", "pii": False}))
    hilt.instrument(filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    hilt.uninstrument()
    assert [e["extensions"]["metadata"] for e in read_lines(log_path)] == [{"legal_basis": "consent", "pii": False}] * 2


def test_labels_and_rate_reach_sheets_and_opentelemetry(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default columns the sheet gains metadata and sample_rate columns; each span has hilt.metadata.* and hilt.sample_rate."""
    with every_backend(tmp_path, monkeypatch, spans=1, metadata=LABELS, sample_rate=0.999999) as out:
        with hilt.conversation(id="conv-kept", metadata={"ticket": 7}):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    header, *rows = out.sheet_rows
    assert header[-2:] == ["metadata", "sample_rate"]
    labels = {**LABELS, "ticket": 7}
    assert [(json.loads(row[-2]), row[-1]) for row in rows] == [(labels, 0.999999)] * 2
    (span,) = out.spans
    assert {k: v for k, v in span.attributes.items() if k.startswith(("hilt.metadata.", "hilt.sample_rate"))} == {
        "hilt.metadata.legal_basis": "contract",
        "hilt.metadata.retention": "P30D",
        "hilt.metadata.ticket": 7,
        "hilt.sample_rate": 0.999999,
    }


def test_without_the_settings_the_sheet_keeps_its_columns(tmp_path: Path) -> None:
    """No metadata setting and no sampling: the default Sheets columns are unchanged (an existing sheet's header still matches)."""
    from hilt._config import Settings
    from hilt.writers.sheets._rows import ALL_COLUMNS
    from hilt.writers.sheets._settings import validate_sheets_settings

    credentials = tmp_path / "sa.json"
    from hilt.testing import write_service_account

    write_service_account(credentials, "http://127.0.0.1:9/token")
    plain = Settings(sheet_id="s", credentials_path=str(credentials))
    assert validate_sheets_settings(plain)[0] == ALL_COLUMNS
    labelled = Settings(sheet_id="s", credentials_path=str(credentials), metadata=LABELS)
    assert validate_sheets_settings(labelled)[0] == (*ALL_COLUMNS, "metadata")


@pytest.mark.parametrize("value", [{"nested": {"a": 1}}, {"list": [1, 2]}, ["a"], '{"a": ', '"text"'])
def test_labels_must_be_a_flat_table(value: Any) -> None:
    """Values must be strings, numbers or booleans; anything else is a ConfigError saying so."""
    with pytest.raises(ConfigError) as info:
        load_settings({"metadata": value})
    assert str(info.value).startswith("instrument(): metadata: expected a table of name → string, number or boolean")


def test_a_file_gives_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a trusted TOML file metadata is a table; a string there names the file, key and expected type."""
    config = tmp_path / "hilt.toml"
    config.write_text('[metadata]\nlegal_basis = "contract"\nretention_days = 30\n')
    monkeypatch.setenv("HILT_CONFIG", str(config))
    assert load_settings().metadata == {"legal_basis": "contract", "retention_days": 30}
    config.write_text('metadata = "contract"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == f"{config}: metadata: expected a table of name → string, number or boolean, got 'contract'"


def test_an_untrusted_project_file_cannot_set_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """metadata in an untrusted ./hilt.toml is ignored (it would put the folder's words on the user's records)."""
    (tmp_path / "hilt.toml").write_text('[metadata]\nlegal_basis = "none needed"\n')
    monkeypatch.chdir(tmp_path)
    assert (load_settings().metadata, load_settings().sources["metadata"]) == ({}, "default")
