"""The agent's start-up path in a child process: openai imported first, and what the first call costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hilt.testing import FakeOpenAIServer

PREIMPORTED = """
import openai  # imported before the agent starts, as another .pth file or a sitecustomize may do
client = openai.OpenAI(max_retries=0)
client.chat.completions  # the SDK's lazy resource modules are imported too
import os
os.environ["HILT_ENABLED"] = "1"  # the .pth line saw it unset: the agent starts only now
from hilt_agent._bootstrap import start
start()
reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""


def _run(code: str, server: FakeOpenAIServer, log: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HILT_", "OPENAI_"))}
    env.update(HILT_FILEPATH=str(log), OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="k")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_agent_instruments_an_already_imported_sdk(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """With openai (and its chat module) imported before the agent starts, the call is still logged, silently."""
    log = tmp_path / "events.jsonl"
    result = _run(PREIMPORTED, server, log)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["action"] for e in events] == ["prompt", "completion"]
    assert events[1]["extensions"]["status_code"] == 200


def test_agent_builds_everything_when_openai_is_imported(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """Under the agent, `import openai` alone builds the pipeline, recorder and extractors (the first call finds them ready)."""
    code = (
        "import sys, openai\n"
        "print([m for m in ('hilt._pipeline', 'hilt.instrumentation._recorder', 'hilt.providers.openai') if m in sys.modules])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HILT_", "OPENAI_"))}
    env.update(HILT_ENABLED="1", HILT_FILEPATH=str(tmp_path / "events.jsonl"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "['hilt._pipeline', 'hilt.instrumentation._recorder', 'hilt.providers.openai']\n"
