"""The JSON-safe copies of a request's messages, reused when the application resends its history.

A chat application sends its whole history on every turn; copying it through :func:`jsonable` each
time costs about a microsecond per message, so turn 50 would cost several times turn 1. The copies of a
request are kept, keyed by its last message; a follow-up whose first messages equal that request's
(compared by value with shallow snapshots, in C) reuses their copies and copies only its new messages.

Only plain messages are reused: dicts whose keys are strings and whose values are strings or ``None``
(``{"role": "user", "content": "..."}``). Their copy depends on nothing but their value (and the text
cap), so a value comparison is exact: a message edited, replaced or rebuilt with other content is
copied again. A request holding any other message (content parts, tool calls, SDK objects) is copied
in full, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import providers as _limits
from ..._conversations import share_comparison
from ._redact import jsonable

__all__ = ["message_copies"]

_CHAIN_CACHE_SIZE = 512
_LOOK_BACK = 4  # a follow-up usually adds the answer and one question; tool rounds add a few more

# id(last message of a request) -> (text cap, wrap, snapshots of its messages, their copies). The key only
# finds a candidate; the snapshots are then compared by value, so a reused id is harmless.
_chains: dict[int, tuple[Any, bool, list[dict[str, Any]], list[Any]]] = {}


def _is_plain(message: Any) -> bool:
    if type(message) is not dict:
        return False
    for key, value in message.items():
        if type(key) is not str or (value is not None and type(value) is not str):
            return False
    return True


def message_copies(messages: Sequence[Any], wrap: bool = False) -> list[Any]:
    """``[jsonable(m) for m in messages]`` (each non-dict copy wrapped as ``{"value": ...}`` when ``wrap``).

    The result may be shared with other records: treat it as read-only, like every event part.
    """
    limit = _limits.max_field_chars
    count = len(messages)
    snapshots: list[dict[str, Any]] = []
    copies: list[Any] = []
    matched = None
    for last in range(count - 1, max(count - 1 - _LOOK_BACK, -1), -1):
        chain = _chains.get(id(messages[last]))
        if chain is None or len(chain[2]) != last + 1 or chain[0] != limit or chain[1] is not wrap:
            continue
        head = messages[: last + 1]
        try:
            same = (head if type(head) is list else list(head)) == chain[2]
        except Exception:  # a value whose == misbehaves (an array...): copy everything again
            same = False
        if same:
            if last == count - 1:  # the very same messages again
                share_comparison(messages, chain[2], chain[2])
                return chain[3]
            matched = chain[2]
            snapshots, copies = list(matched), list(chain[3])
            _chains.pop(id(messages[last]), None)  # the longer chain stored below replaces it
            break
    plain = True
    for message in messages[len(copies) :]:
        copy = jsonable(message)
        copies.append(copy if not wrap or type(copy) is dict else {"value": copy})
        if plain:
            if _is_plain(message):
                snapshots.append(dict(message))
            else:
                plain = False
    if plain and count:
        if len(_chains) >= _CHAIN_CACHE_SIZE:
            _chains.clear()
        _chains[id(messages[-1])] = (limit, wrap, snapshots, copies)
        share_comparison(messages, snapshots, matched)  # the digests of this request reuse the comparison
    return copies
