"""Start-up cost of HILT's agent: median wall time of fresh interpreters, over N runs each.

    python -m benchmarks.startup [--runs 25]

Builds three throwaway venvs that share this interpreter's packages (through a path entry, nothing
is downloaded): (a) without HILT, (b) and (c) with HILT installed by ``pip install .``. It times
``python -c pass`` in (a), in (b) with HILT_ENABLED unset and in (c) with HILT_ENABLED=1, and
``python -c "import openai"`` with and without the agent. Targets: (b)-(a) <= 1 ms,
(c)-(a) <= 15 ms, the import hook adds <= 5 % to ``import openai``. Minima are printed next to
medians: on a shared, loaded machine the minimum is the steadier estimate of the fixed cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.agent._venvs import Venv, copy_project, make_venv, pip_install


def median_ms(python: Path, code: str, env: dict[str, str], runs: int) -> float:
    """Median wall time of ``python -c code`` in milliseconds (runs are interleaved by the caller)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(python), "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HILT_")}
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode caches, as users run
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        os.chdir(tmpdir)  # no hilt.toml / pyproject.toml around
        bare = make_venv(tmpdir / "bare")
        hilt: Venv = make_venv(tmpdir / "hilt")
        pip_install(hilt, str(copy_project(tmpdir / "src")))
        enabled = {**base_env, "HILT_ENABLED": "1", "HILT_FILEPATH": str(tmpdir / "e.jsonl")}
        cases = {
            "a: -c pass, no HILT": (bare.python, "pass", base_env),
            "b: -c pass, HILT disabled": (hilt.python, "pass", base_env),
            "c: -c pass, HILT enabled": (hilt.python, "pass", enabled),
            "import openai, no HILT": (bare.python, "import openai", base_env),
            "import openai, HILT enabled": (hilt.python, "import openai", enabled),
        }
        for python, code, env in cases.values():  # warm the bytecode caches and the OS file cache
            for _ in range(3):
                subprocess.run([str(python), "-c", code], env=env, check=True)
        results = {name: [] for name in cases}
        for _ in range(args.runs):  # interleave, so that drift in machine load hits every case alike
            for name, (python, code, env) in cases.items():
                results[name].append(median_ms(python, code, env, 1))
    medians = {name: statistics.median(values) for name, values in results.items()}
    minima = {name: min(values) for name, values in results.items()}
    print(f"{'case':<30} {'median':>9} {'min':>9}")
    for name in cases:
        print(f"{name:<30} {medians[name]:7.1f}ms {minima[name]:7.1f}ms")
    for label, stat in (("median", medians), ("min", minima)):
        a, b, c = (stat[k] for k in list(cases)[:3])
        plain, hooked = stat["import openai, no HILT"], stat["import openai, HILT enabled"]
        print(
            f"[{label}] (b)-(a) {b - a:+.2f} ms (target <= 1)  (c)-(a) {c - a:+.2f} ms (target <= 15)  "
            f"import openai {100 * (hooked - plain) / plain:+.2f} % (target <= 5)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
