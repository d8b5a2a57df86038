"""A broken part of HILT says what broke: a CLI sub-command module, the agent's bootstrap module."""

from __future__ import annotations

import sys

import pytest

from hilt import cli
from hilt_agent import _gate


def test_cli_names_a_command_whose_module_fails_to_import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A sub-command module that cannot be imported is reported on stderr; the other commands still work."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("_demo", "_no_such_command"))
    parser = cli.build_parser()
    assert capsys.readouterr().err == (
        "hilt: warning: the 'no_such_command' command is unavailable "
        "(ModuleNotFoundError: No module named 'hilt.cli._no_such_command')\n"
    )
    assert parser.parse_args(["demo"]).command == "demo"


def test_cli_prints_the_traceback_with_hilt_debug(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With HILT_DEBUG=1 the warning is followed by the traceback."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("_no_such_command",))
    monkeypatch.setenv("HILT_DEBUG", "1")
    cli.build_parser()
    err = capsys.readouterr().err
    assert err.startswith("hilt: warning: the 'no_such_command' command is unavailable")
    assert "Traceback (most recent call last)" in err


@pytest.mark.parametrize("debug", ["", "1"])
def test_gate_reports_a_broken_bootstrap_import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], debug: str) -> None:
    """HILT_ENABLED=1 and an unimportable hilt_agent._bootstrap: one warning line, the traceback with HILT_DEBUG."""
    monkeypatch.setitem(sys.modules, "hilt_agent._bootstrap", None)  # makes the import raise ImportError
    monkeypatch.setattr(_gate, "_started", False)
    monkeypatch.setenv("HILT_ENABLED", "1")
    monkeypatch.setenv("HILT_DEBUG", debug)
    _gate.run()
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first == (
        "hilt: warning: the agent could not start (ModuleNotFoundError: import of hilt_agent._bootstrap halted; "
        "None in sys.modules); this run is not instrumented"
    )
    assert ("Traceback (most recent call last)" in err) is (debug == "1")
