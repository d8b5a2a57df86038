"""Test helpers for HILT: a loopback OpenAI-compatible server (stdlib only).

Example::

    from hilt.testing import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[...])
        assert server.requests[0].json()["model"] == "gpt-4o-mini"

See ``hilt.testing._server`` for the fault-injection headers and
``hilt.testing._replies`` for the deterministic token rule.
"""

from ._server import FakeOpenAIServer, RecordedRequest
from ._sheets_server import FakeSheetsServer

__all__ = ["FakeOpenAIServer", "FakeSheetsServer", "RecordedRequest"]
