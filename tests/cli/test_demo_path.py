"""``hilt demo --filepath PATH`` never writes its fake calls into a real log, nor over a file of the user's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hilt.cli._demo import run_demo
from tests.cli._make import call, write_log


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder``: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_demo_refuses_a_log_that_holds_lines(hilt_cli, tmp_path: Path) -> None:
    """A PATH that exists and is not empty is refused with exit status 2 and a message naming it, saying why and
    suggesting a new file; nothing is written or removed."""
    log = write_log(tmp_path / "app.jsonl", call("conv_real", "2026-11-29T10:00:00Z", "a real question", "a real answer"))
    before = _snapshot(tmp_path)
    done = hilt_cli("demo", "--filepath", str(log))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"hilt: error: not writing the demo to {log}: it already holds {log.stat().st_size:,} bytes, so it may be a real "
        "log, and the demo's fake calls and costs would mix into its stats and reports. Name a new file (e.g. "
        f"--filepath {tmp_path / 'demo.jsonl'}), or leave out --filepath for a temporary folder\n"
    )
    assert _snapshot(tmp_path) == before


def test_demo_refuses_an_empty_log_with_rotated_files(hilt_cli, tmp_path: Path) -> None:
    """An empty PATH whose rotated files are next to it (a real log just rotated) is refused too, naming them;
    the suggested new file is one that does not exist."""
    (tmp_path / "app.jsonl").write_text("")
    write_log(tmp_path / "app.jsonl.1", call("conv_real", "2026-11-29T10:00:00Z", "older", "answer"))
    (tmp_path / "demo.jsonl").write_text("")
    before = _snapshot(tmp_path)
    done = hilt_cli("demo", "--filepath", str(tmp_path / "app.jsonl"))
    assert done.returncode == 2
    assert f"not writing the demo to {tmp_path / 'app.jsonl'}: it has rotated files (app.jsonl.1), so it may" in done.stderr
    assert f"(e.g. --filepath {tmp_path / 'demo-2.jsonl'})" in done.stderr
    assert _snapshot(tmp_path) == before


def test_demo_refuses_a_folder(hilt_cli, tmp_path: Path) -> None:
    """A PATH that is a folder is refused with exit status 2 and a file in it suggested, instead of a traceback."""
    done = hilt_cli("demo", "--filepath", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"hilt: error: not writing the demo to {tmp_path}: it is a folder. Name a new file (e.g. --filepath "
        f"{tmp_path / 'demo.jsonl'})\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_run_demo_refuses_a_log_that_holds_lines(tmp_path: Path) -> None:
    """The Python function behind the command refuses the same PATH with a ValueError, and leaves it as it was."""
    log = write_log(tmp_path / "app.jsonl", call("conv_real", "2026-11-29T10:00:00Z", "a real question", "a real answer"))
    before = log.read_bytes()
    with pytest.raises(ValueError, match="it already holds .* bytes, so it may be a real log"):
        run_demo(log)
    assert log.read_bytes() == before


def test_demo_writes_to_an_empty_file_and_keeps_the_users_report(hilt_cli, tmp_path: Path) -> None:
    """An empty PATH is used as it is; a report.html already next to it is not overwritten, and the demo says so."""
    log = tmp_path / "demo.jsonl"
    log.write_text("")
    (tmp_path / "report.html").write_text("my own report")
    done = hilt_cli("demo", "--filepath", str(log))
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["action"] for line in log.read_text().splitlines()] == ["prompt", "completion"] * 4 + [
        "prompt",
        "system",
    ]
    assert (tmp_path / "report.html").read_text() == "my own report"
    try:
        import plotly  # noqa: F401
    except ImportError:  # without hilt[report] the demo writes no report at all
        assert "Report:  pip install 'hilt[report]'" in done.stdout
    else:
        kept = f"Report:  hilt logs report {log} -o FILE  ({tmp_path / 'report.html'} exists: the demo does not overwrite it)"
        assert kept in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.jsonl", "report.html"]


def test_demo_help_says_an_existing_log_is_refused(hilt_cli) -> None:
    """hilt demo --help says which files --filepath accepts and that a file holding lines is refused."""
    done = hilt_cli("demo", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert (
        "a new or empty file (default: a new temporary folder); a file that already holds lines, or has rotated files, "
        "is refused (exit status 2)"
    ) in text
