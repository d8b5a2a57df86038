"""One reader for every usage shape: chat, Responses, legacy completions and embeddings.

Every shape is read the same way, by key from the mapping that holds its values: a plain dict (a raw
body, a lax server) or an SDK model's ``__dict__`` plus its pydantic extras (where an older SDK keeps
details it does not declare, such as ``prompt_tokens_details`` in openai 1.26). Nothing is probed by
attribute: a failed attribute lookup on a pydantic model costs about a microsecond.

One validity rule for every count: a non-negative ``int`` (``True``, ``-1``, ``3.0`` and ``"3"`` are
left out). A count the server did not send is left out, never reported as 0; ``cache_write`` is left
out when 0.
"""

from __future__ import annotations

from typing import Any

from ._common import fields_of

__all__ = ["read_usage"]


# (chat field, Responses field, ((count in it, HILT key, least value kept), ...))
_DETAILS = (
    ("prompt_tokens_details", "input_tokens_details", (("cached_tokens", "cached", 0), ("cache_write_tokens", "cache_write", 1))),
    ("completion_tokens_details", "output_tokens_details", (("reasoning_tokens", "reasoning", 0),)),
)


def read_usage(usage: Any) -> dict[str, int]:
    """HILT token counts (``prompt``, ``completion``, ``total``, ``cached``, ``cache_write``, ``reasoning``)."""
    tokens: dict[str, int] = {}
    if usage is None:
        return tokens
    fields = fields_of(usage)
    get = fields.get
    value = get("prompt_tokens")
    if value is None:
        value = get("input_tokens")
    if type(value) is int and value >= 0:
        tokens["prompt"] = value
    value = get("completion_tokens")
    if value is None:
        value = get("output_tokens")
    if type(value) is int and value >= 0:
        tokens["completion"] = value
    value = get("total_tokens")
    if type(value) is int and value >= 0:
        tokens["total"] = value
    elif tokens:
        tokens["total"] = tokens.get("prompt", 0) + tokens.get("completion", 0)
    for chat_name, responses_name, counts in _DETAILS:
        details = get(chat_name) or get(responses_name)
        if details is not None:
            details = fields_of(details)
            for name, key, least in counts:
                value = details.get(name)
                if type(value) is int and value >= least:
                    tokens[key] = value
    return tokens
