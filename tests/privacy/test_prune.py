"""``hilt logs prune`` and the rotate/compress/retention_days settings: what is removed, what never is, and
what a config file may set."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hilt._config import load_settings, resolve_settings
from hilt._trust import SAFE_FILE_KEYS
from hilt.cli import main
from hilt.exceptions import ConfigError


def _stamp(days_ago: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - days_ago * 86400))


def _make(path: Path, size: int, *, days_old: float | None = None) -> Path:
    path.write_bytes(b"x" * (size - 1) + b"\n")
    if days_old is not None:
        moment = time.time() - days_old * 86400
        os.utime(path, (moment, moment))
    return path


@pytest.fixture
def old_and_new(tmp_path: Path) -> dict[str, Path]:
    """A live log 90 days old, two rotated files 40 days old (by name and by mtime), one 5 days old, and bystanders."""
    log = tmp_path / "app.jsonl"
    files = {
        "live": _make(log, 100, days_old=90),
        "old_named": _make(tmp_path / f"app.jsonl.{_stamp(40)}.gz", 2500),
        "old_numbered": _make(tmp_path / "app.jsonl.1", 1200, days_old=40),
        "new_named": _make(tmp_path / f"app.jsonl.{_stamp(5)}", 300, days_old=40),  # the name wins over the mtime
        "other_log": _make(tmp_path / f"other.jsonl.{_stamp(40)}", 10),
        "backup": _make(tmp_path / "app.jsonl.bak", 10, days_old=40),
    }
    target = _make(tmp_path / "target.txt", 10, days_old=40)
    link = tmp_path / f"app.jsonl.{_stamp(50)}"
    link.symlink_to(target)
    files["link"], files["target"] = link, target
    return files


def test_prune_removes_old_rotated_files_and_says_what(old_and_new: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """prune --older-than 30d removes the two 40-day-old rotated files, prints each with its size and the total, and leaves the rest."""
    log = old_and_new["live"]
    assert main(["logs", "prune", "--older-than", "30d", str(log)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"removed {old_and_new['old_named']} (2.5 kB)",
        f"removed {old_and_new['old_numbered']} (1.2 kB)",
        "removed 2 files, 3.7 kB",
    ]
    assert sorted(name for name, path in old_and_new.items() if not os.path.lexists(path)) == ["old_named", "old_numbered"]
    assert old_and_new["target"].read_bytes().endswith(b"\n")


def test_prune_dry_run_removes_nothing(old_and_new: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run lists the same files as "would remove" and every file is still there."""
    assert main(["logs", "prune", "--older-than", "30d", "--dry-run", str(old_and_new["live"])]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"would remove {old_and_new['old_named']} (2.5 kB)",
        f"would remove {old_and_new['old_numbered']} (1.2 kB)",
        "would remove 2 files, 3.7 kB",
    ]
    assert all(os.path.lexists(path) for path in old_and_new.values())


def test_prune_never_removes_the_live_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A live log a year old with nothing rotated: prune removes nothing and says so."""
    log = _make(tmp_path / "app.jsonl", 50, days_old=365)
    assert main(["logs", "prune", "--older-than", "1d", str(log)]) == 0
    assert capsys.readouterr().out.splitlines() == ["removed 0 files, 0 bytes"]
    assert log.exists()


def test_prune_defaults_to_the_configured_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without FILE, prune works on HILT_FILEPATH's rotated files."""
    log = _make(tmp_path / "app.jsonl", 10)
    old = _make(tmp_path / f"app.jsonl.{_stamp(10)}", 10)
    monkeypatch.setenv("HILT_FILEPATH", str(log))
    assert main(["logs", "prune", "--older-than", "1w"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"removed {old} (10 bytes)", "removed 1 file, 10 bytes"]


def test_prune_missing_log_and_bad_age_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A log with no file and no rotated file exits 1; an unreadable --older-than exits 2 naming the forms."""
    assert main(["logs", "prune", "--older-than", "30d", str(tmp_path / "none.jsonl")]) == 1
    assert capsys.readouterr().err == (
        f"hilt: HILT log not found: {tmp_path / 'none.jsonl'} (name a log file; `hilt logs path` prints the configured one)\n"
    )
    assert main(["logs", "prune", "--older-than", "soon", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read the time 'soon'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100 MB", "100 MB"), ("500KB", "500KB"), ("1 GiB", "1 GiB"), ("daily", "daily"), (" Daily ", "Daily")],
)
def test_rotate_accepts_sizes_and_daily(value: str, expected: str) -> None:
    """HILT_ROTATE takes a size with a unit or "daily" (any case), kept as written."""
    assert resolve_settings(environ={"HILT_ROTATE": value}).rotate == expected


@pytest.mark.parametrize("value", ["weekly", "0MB", "10 TB", "-1MB", "MB", "inf MB"])
def test_rotate_rejects_anything_else(value: str) -> None:
    """Any other rotate value is a ConfigError naming the source, the key and the accepted forms."""
    with pytest.raises(ConfigError) as caught:
        resolve_settings(environ={"HILT_ROTATE": value})
    assert str(caught.value) == (
        f"environment variable HILT_ROTATE: rotate: expected \"daily\" or a size such as \"100 MB\", \"500KB\", "
        f"\"1 GiB\" (KB/MB/GB: powers of 1000; KiB/MiB/GiB: of 1024), got {value!r}"
    )


def test_retention_days_and_compress_from_the_environment() -> None:
    """HILT_RETENTION_DAYS=30 and HILT_COMPRESS=1 give 30 and True; 0 days is refused."""
    settings = resolve_settings(environ={"HILT_RETENTION_DAYS": "30", "HILT_COMPRESS": "1", "HILT_ROTATE": "daily"})
    assert (settings.rotate, settings.compress, settings.retention_days) == ("daily", True, 30)
    with pytest.raises(ConfigError, match="retention_days: expected a whole number of days, 1 or more, got '0'"):
        resolve_settings(environ={"HILT_RETENTION_DAYS": "0"})


def test_toml_values_of_the_wrong_type_name_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In $HILT_CONFIG, retention_days = "30" (a string) and rotate = true are errors naming the file and key."""
    config = tmp_path / "hilt.toml"
    monkeypatch.setenv("HILT_CONFIG", str(config))
    config.write_text('retention_days = "30"\n')
    with pytest.raises(ConfigError, match=f"{config}: retention_days: expected a whole number of days, 1 or more"):
        load_settings()
    config.write_text("rotate = true\n")
    with pytest.raises(ConfigError, match=f"{config}: rotate: expected \"daily\" or a size"):
        load_settings()
    config.write_text('rotate = "100 MB"\ncompress = true\nretention_days = 30\n')
    settings = load_settings()
    assert (settings.rotate, settings.compress, settings.retention_days) == ("100 MB", True, 30)


def test_untrusted_project_file_cannot_rotate_compress_or_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cloned repo's ./hilt.toml setting rotate, compress and retention_days changes none of them (they move and delete the user's files)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hilt.toml").write_text('rotate = "1KB"\ncompress = true\nretention_days = 1\n')
    settings = load_settings()
    assert (settings.rotate, settings.compress, settings.retention_days) == (None, False, None)
    assert {"rotate", "compress", "retention_days"}.isdisjoint(SAFE_FILE_KEYS)
