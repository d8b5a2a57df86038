#!/usr/bin/env bash
# Run the installed openai SDK's own test suite (from its sdist, minus tests/api_resources) twice:
# once plain, once with HILT instrumenting the process, and compare the outcome counts.
#
# Usage: scripts/openai_sdk_suite.sh [python]     (default: python3; the openai version is read from it)
# Env:   HILT_SDK_SUITE_DIR  work folder (default: ${TMPDIR:-/tmp}/hilt-sdk-suite); reused between runs
#        HILT_SDK_SUITE_ARGS extra pytest arguments (e.g. "-n 0" to disable xdist)
#
# The suite sets filterwarnings=error, so any warning HILT emitted would fail tests. The plugin also
# counts records on the "hilt" logger at WARNING or above and prints them; the run fails if any.
# Timing (openai 3.57, 2 cores, xdist): ~4 min per run, ~8 min in all once the venv exists; the first
# run adds the sdist download and a venv with the SDK's dev dependencies (a few minutes).
# Both runs are compared on outcome counts and on the exact set of failing tests (some tests of the
# sdist fail in any environment without its repository files or optional extras).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BASE_PYTHON="${1:-python3}"
VERSION="$("$BASE_PYTHON" -c 'import importlib.metadata as m; print(m.version("openai"))')"
WORK="${HILT_SDK_SUITE_DIR:-${TMPDIR:-/tmp}/hilt-sdk-suite}/openai-$VERSION"
mkdir -p "$WORK"
cd "$WORK"

if [ ! -d "openai-$VERSION/tests" ]; then
  "$BASE_PYTHON" -m pip download --quiet --no-binary :all: --no-deps "openai==$VERSION" -d .
  tar xzf "openai-$VERSION.tar.gz"
fi
SDK="$WORK/openai-$VERSION"

if [ ! -f venv/.hilt-ready ]; then
  rm -rf venv
  "$BASE_PYTHON" -m venv venv
  venv/bin/python -m pip install --quiet --upgrade pip
  # The dev dependency group of the SDK's pyproject (uv's lock is not readable by pip; versions
  # are pinned there only where the SDK pins them).
  venv/bin/python - "$SDK/pyproject.toml" > dev-requirements.txt <<'EOF'
import sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
skip = {"ty", "ruff", "pandas-stubs", "types-requests"}  # type checkers and linters: not test deps
for req in data.get("dependency-groups", {}).get("dev", []):
    if isinstance(req, str) and req.split("=")[0].split(">")[0].split("<")[0].strip() not in skip:
        print(req)
EOF
  venv/bin/python -m pip install --quiet "openai[aiohttp,realtime]==$VERSION" -r dev-requirements.txt
  # HILT's own runtime dependencies (HILT itself is imported from the checkout, see below)
  venv/bin/python - "$REPO/pyproject.toml" > hilt-requirements.txt <<'EOF'
import sys, tomllib
for req in tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]:
    if not req.startswith("openai"):
        print(req)
EOF
  venv/bin/python -m pip install --quiet -r hilt-requirements.txt
  touch venv/.hilt-ready
fi
mkdir -p path && ln -sfn "$REPO/hilt" path/hilt  # only the package: the checkout's tests/ never shadows the SDK's

cat > hilt_sdk_plugin.py <<'EOF'
"""pytest plugin: instrument the process with HILT for the whole session and count HILT warnings."""
import logging, os, tempfile

_records = []

class _Counter(logging.Handler):
    def emit(self, record):
        _records.append(self.format(record))

def pytest_configure(config):
    import hilt
    logging.getLogger("hilt").addHandler(_Counter(logging.WARNING))
    folder = os.environ.get("HILT_SDK_SUITE_LOGS") or tempfile.mkdtemp(prefix="hilt-sdk-suite-")
    hilt.instrument(filepath=os.path.join(folder, f"events-{os.getpid()}.jsonl"))

def pytest_unconfigure(config):
    import hilt
    hilt.uninstrument()
    if _records:
        print(f"\nHILT emitted {len(_records)} warning(s):", *_records[:20], sep="\n  ")
        with open(os.environ.get("HILT_SDK_SUITE_WARNINGS", os.devnull), "a") as out:
            out.write("\n".join(_records) + "\n")
EOF

run() {  # $1 = label, rest = extra pytest args
  local label="$1"; shift
  local start end
  start=$(date +%s)
  (cd "$SDK" && env -u OPENAI_API_KEY -u OPENAI_BASE_URL PYTHONPATH="$WORK:$WORK/path" "$WORK/venv/bin/python" -m pytest tests \
    --ignore=tests/api_resources -q -p no:cacheprovider ${HILT_SDK_SUITE_ARGS:-} "$@" > "$WORK/$label.log" 2>&1) || true
  end=$(date +%s)
  echo "$label: $(tail -n 1 "$WORK/$label.log" | sed 's/=//g') [$((end - start)) s]"
}

rm -rf "$WORK/hilt-warnings.txt" "$WORK/events"
mkdir -p "$WORK/events"
run plain
HILT_SDK_SUITE_WARNINGS="$WORK/hilt-warnings.txt" HILT_SDK_SUITE_LOGS="$WORK/events" run hilt -p hilt_sdk_plugin

summary() { tail -n 1 "$WORK/$1.log" | grep -oE '[0-9]+ (passed|failed|skipped|errors?|xfailed|xpassed)' | sort; }
failures() { grep -E '^(FAILED|ERROR)' "$WORK/$1.log" | sed 's/ - .*//' | sort; }
if [ "$(summary plain)" != "$(summary hilt)" ] || [ "$(failures plain)" != "$(failures hilt)" ]; then
  echo "DIFFERENT outcomes with HILT (logs: $WORK/plain.log, $WORK/hilt.log):"
  diff <(failures plain) <(failures hilt) || true
  exit 1
fi
echo "tests failing in both runs (environment: snapshots, sdist without .github, optional extras): $(failures plain | wc -l)"
if [ -s "$WORK/hilt-warnings.txt" ]; then
  echo "HILT logged warnings: $WORK/hilt-warnings.txt"; exit 1
fi
echo "same outcome counts with and without HILT; no HILT warnings (events: $WORK/events)"
