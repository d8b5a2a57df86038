"""Start-up behaviour: broken configuration, strict mode, import-time cost, no threads, the import hook."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from hilt_agent._bootstrap import STRICT_EXIT_STATUS
from hilt._import_watch import WatchingFinder, install

REPLY = "Hello! How can I help you today?\n"
HEAVY = ("openai", "ssl", "httpx", "httpx2", "requests", "google", "tomllib", "platformdirs", "pathlib", "typing", "wrapt")


def imported(stderr: str) -> list[str]:
    """Module names from ``-X importtime`` output."""
    return [m.group(1).strip() for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \| (.+)$", stderr, re.M)]


def user_config() -> Path:
    """The user's own config file (trusted), under the test's XDG_CONFIG_HOME."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "hilt" / "hilt.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_broken_toml_warns_once_and_runs_uninstrumented(venv, run, workdir: Path) -> None:
    """A bad key in the user's config file: exit code and stdout unchanged, one stderr line naming file, key and expected value."""
    user_config().write_text('capture_content = "yes"\n')
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(workdir / "e.jsonl")})
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        f"hilt: warning: {user_config()}: capture_content: expected one of \"full\", \"metadata\", \"hash\" (or a boolean: true is full, false is metadata), got 'yes'; "
        "this run is not instrumented\n"
    )
    assert not (workdir / "e.jsonl").exists()


def test_broken_toml_with_strict_exits(venv, run, workdir: Path) -> None:
    """HILT_STRICT=1 turns the warning into an error and exit status 78; the program does not run."""
    user_config().write_text("filepth = 'x'\n")
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1", "HILT_STRICT": "1"})
    assert (result.returncode, result.stdout) == (STRICT_EXIT_STATUS, "")
    assert result.stderr.startswith(f"hilt: error: {user_config()}: filepth: expected one of the HILT settings: backend, ")
    assert result.stderr.endswith("; HILT_STRICT is set, so the program does not run\n")


def test_unwritable_log_location_is_one_warning(venv, run, workdir: Path) -> None:
    """A log path that cannot be created (its parent is a file) is reported with its source, once."""
    (workdir / "afile").write_text("")
    target = workdir / "afile" / "e.jsonl"
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1", "HILT_FILEPATH": str(target)})
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        f"hilt: warning: env HILT_FILEPATH: filepath: expected a writable file ({target} cannot be created); "
        "this run is not instrumented\n"
    )


def test_non_boolean_enabled_is_one_warning(venv, run) -> None:
    """HILT_ENABLED=maybe is reported by name and the program runs uninstrumented."""
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "maybe"})
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        "hilt: warning: environment variable HILT_ENABLED: enabled: expected a boolean: "
        "1/true/yes/on or 0/false/no/off, got 'maybe'; this run is not instrumented\n"
    )


def test_invalid_env_value_is_one_warning(venv, run, workdir: Path) -> None:
    """HILT_CAPTURE_CONTENT=maybe names the variable; the program's output is unchanged."""
    result = run([venv.python, "app.py"], {"HILT_ENABLED": "1", "HILT_CAPTURE_CONTENT": "maybe"})
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        "hilt: warning: environment variable HILT_CAPTURE_CONTENT: capture_content: expected one of "
        "\"full\", \"metadata\", \"hash\" (or a boolean: true is full, false is metadata), got 'maybe'; this run is not instrumented\n"
    )


def test_disabled_imports_only_the_gate(venv, run) -> None:
    """With HILT_ENABLED unset, start-up imports hilt_agent and its gate and nothing else of HILT."""
    result = run([venv.python, "-X", "importtime", "-c", "pass"])
    names = imported(result.stderr)
    assert [n for n in names if "hilt" in n] == ["hilt_agent", "hilt_agent._gate"]
    assert not {n.split(".")[0] for n in names} & set(HEAVY)


def test_enabled_imports_nothing_heavy_and_starts_no_thread(venv, run, workdir: Path) -> None:
    """HILT_ENABLED=1 and a program without openai: no SDK, ssl, http or google module, no thread."""
    code = "import sys, threading; print(threading.active_count(), sorted(m for m in sys.modules if m.startswith('hilt')))"
    result = run([venv.python, "-X", "importtime", "-c", code], {"HILT_ENABLED": "1"})
    assert result.returncode == 0, result.stderr
    roots = {n.split(".")[0] for n in imported(result.stderr)}
    assert not roots & set(HEAVY)
    assert result.stdout == "1 ['hilt', 'hilt._config', 'hilt._config_files', 'hilt._config_values', 'hilt._forksafe', 'hilt._ids', 'hilt._import_watch', 'hilt._settings', 'hilt._trust', 'hilt._user_dirs', 'hilt._version', 'hilt.exceptions', 'hilt_agent', 'hilt_agent._bootstrap', 'hilt_agent._gate']\n"


def test_import_openai_alone_patches_nothing_yet(venv, run) -> None:
    """``import openai`` with the agent on imports no resource module the SDK itself does not; the first
    client.chat access patches it."""
    code = (
        "import sys, openai\n"
        "print(sorted(m for m in list(sys.modules) if m.startswith('openai.resources')))\n"  # list(): a thread may import
        "openai.OpenAI(api_key='k').chat.completions\n"
        "from openai.resources.chat.completions import Completions\n"
        "print(type(Completions.__dict__['create']).__name__)\n"
    )
    without = run([venv.python, "-c", code], {})
    result = run([venv.python, "-c", code], {"HILT_ENABLED": "1"})
    imported_by_sdk = without.stdout.splitlines()[0]  # "[]" from openai 1.7x on; older SDKs import them all
    assert (result.stdout, result.stderr) == (f"{imported_by_sdk}\nFunctionWrapper\n", "")
    assert without.stdout.splitlines()[1] == "function"


def test_finder_fires_for_modules_already_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """install() calls back at once for a watched module that is already imported, and after a later import."""
    (tmp_path / "hilt_probe_mod.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[tuple[str, int]] = []
    finder = WatchingFinder((), lambda name: seen.append((name, sys.modules[name].VALUE)))
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    finder.watch(["hilt_probe_mod"])
    import hilt_probe_mod

    assert seen == [("hilt_probe_mod", 1)]
    assert hilt_probe_mod.__loader__.__class__.__name__ == "SourceFileLoader"  # the real loader is given back
    late = WatchingFinder((), lambda name: seen.append((name, 2)))
    late.watch(["hilt_probe_mod"])  # already imported: fires at once
    assert seen == [("hilt_probe_mod", 1), ("hilt_probe_mod", 2)]
    assert install(["hilt_probe_other"], print) is finder  # one finder per process
    assert "hilt_probe_other" in finder.watched
    monkeypatch.delitem(sys.modules, "hilt_probe_mod")


def test_callback_errors_never_reach_the_importer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """An exception in the callback is logged once on the 'hilt' logger; the import succeeds."""
    (tmp_path / "hilt_probe_a.py").write_text("")
    (tmp_path / "hilt_probe_b.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def explode(name: str) -> None:
        raise RuntimeError("boom")

    finder = WatchingFinder(["hilt_probe_a", "hilt_probe_b"], explode)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    with caplog.at_level("DEBUG", logger="hilt"):
        import hilt_probe_a  # noqa: F401
        import hilt_probe_b  # noqa: F401
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "HILT could not instrument hilt_probe_a (RuntimeError: boom); the application is unaffected"),
        ("DEBUG", "HILT could not instrument hilt_probe_b (RuntimeError: boom); the application is unaffected"),
    ]
    for name in ("hilt_probe_a", "hilt_probe_b"):
        monkeypatch.delitem(sys.modules, name)
