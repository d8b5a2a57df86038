"""The backend setting is a list: local, sheets and otlp combine from TOML, HILT_BACKEND and instrument()."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from hilt._config import load_settings
from hilt.exceptions import ConfigError
from hilt.writers import JsonlWriter, build_writers
from hilt.writers.otlp import OtlpWriter


def test_every_way_of_saying_local_and_otlp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TOML array, HILT_BACKEND=local,otlp and instrument(backend=[...]) all give ("local", "otlp"); one name is a 1-tuple."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hilt.toml").write_text('backend = ["local", "otlp"]\n')
    assert load_settings(environ={"HILT_CONFIG": str(tmp_path / "hilt.toml")}).backend == ("local", "otlp")  # a trusted file
    assert load_settings(environ={"HILT_BACKEND": " jsonl , OTLP ", "HILT_CONFIG": str(tmp_path / "hilt.toml")}).backend == ("local", "otlp")
    assert load_settings({"backend": ["otlp", "local", "otlp"]}).backend == ("otlp", "local")
    assert load_settings({"backend": "otlp"}).backend == ("otlp",)


@pytest.mark.parametrize("value", ["mysql", "", "local,,otlp", ["local", 3], []])
def test_bad_backend_is_a_clear_error(value: object) -> None:
    """An unknown, empty or non-string backend names the key and what is expected."""
    with pytest.raises(ConfigError) as info:
        load_settings({"backend": value})
    assert (info.value.key, str(info.value).split("expected ")[1].split(",")[0]) == ("backend", "one or more of local")


def test_build_writers_follows_the_list(tmp_path: Path) -> None:
    """local+otlp builds a JSONL writer then an OTLP writer; otlp alone builds only the OTLP writer."""
    both = build_writers(load_settings({"backend": ["local", "otlp"], "filepath": str(tmp_path / "a.jsonl")}))
    assert [type(w) for w in both] == [JsonlWriter, OtlpWriter]
    assert both[0].path == tmp_path / "a.jsonl"
    assert [type(w) for w in build_writers(load_settings({"backend": "otlp"}))] == [OtlpWriter]


def test_otlp_writer_is_built_without_touching_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the otlp backend imports the SDK but chooses no provider and exports nothing until the first call."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    [writer] = build_writers(load_settings({"backend": "otlp"}))
    assert writer._telemetry is None and "opentelemetry.sdk.trace" in sys.modules
    writer.close()


def test_sheets_combines_and_its_journal_is_not_opened_twice(tmp_path: Path) -> None:
    """local+sheets+otlp: one JSONL writer when the Sheets journal is the local file, then the Sheets and OTLP writers."""
    pytest.importorskip("gspread", reason="needs the sheets extra")
    from hilt.testing import write_service_account

    key = write_service_account(tmp_path / "key.json", "http://127.0.0.1:9/token")
    log = tmp_path / "calls.jsonl"
    settings = load_settings({"backend": ["local", "sheets", "otlp"], "filepath": str(log), "sheet_id": "sheet1", "credentials_path": str(key)})
    writers = build_writers(settings)
    assert [type(w).__name__ for w in writers] == ["JsonlWriter", "SheetsWriter", "OtlpWriter"]
    assert writers[0].path == log
    for writer in writers:
        writer.close()


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the OpenTelemetry packages, the otlp backend is a ConfigError that says which extra to install."""
    monkeypatch.setitem(sys.modules, "hilt.writers.otlp", None)  # what an absent package looks like to import
    with pytest.raises(ConfigError) as info:
        build_writers(load_settings({"backend": ["local", "otlp"]}))
    assert (info.value.source, info.value.key) == ("argument", "backend")
    assert info.value.expected.startswith("the otlp extra for the otlp backend: pip install 'hilt[otlp]' (")


def test_otlp_alone_sends_spans_and_writes_no_file(otlp_env: Any, log_path: Path, client: Any) -> None:
    """backend="otlp" alone: the call is a span at the receiver and no JSONL file is created."""
    import hilt

    hilt.instrument(backend="otlp", filepath=str(log_path))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    hilt.uninstrument()
    [span] = otlp_env.wait_for_spans(1)
    assert (span.name, span.attributes["hilt.status"], log_path.exists()) == ("chat gpt-4o-mini", "ok", False)
