"""Read, filter and sum up HILT logs from Python: the API behind ``hilt logs``.

    from hilt.logs import Filters, iter_calls, iter_events, summarize, call_rows

    summary = summarize(["logs/app.jsonl"], by="day", filters=Filters.from_options(since="7d"))
    for call in iter_calls(iter_events(["logs/app.jsonl"])):
        print(call.model, call.status, call.cost_usd, call.prompt_text[:40])

Everything streams over plain dicts (orjson, no pydantic per line): a 1 GB log is summed up in a few
seconds with a flat memory use. Corrupt lines are counted in a :class:`ReadReport`, never fatal. Files
written by hilt-python 0.2.8 are read too. The ``hilt logs`` commands call these functions, so the
numbers are the same from the terminal and from a notebook.
"""

from ._arrow import ANALYTICS_EXTRA, record_batches
from ._calls import Call, event_time, iter_calls
from ._files import default_log, expand_paths, open_binary
from ._filters import Filters, parse_time
from ._find import ConversationNotFoundError, find_conversation
from ._forget import EventMatcher, RewriteResult, forget_events, original_lines, rewrite_log_file
from ._live import LiveReport, report_data
from ._reader import CorruptLine, ReadReport, iter_events, iter_lines
from ._rows import CALL_COLUMNS, EVENT_COLUMNS, call_rows, event_rows
from ._stats import GROUP_KEYS, TOKEN_KINDS, percentile, summarize, summarize_calls
from ._tail import Follower, last_calls
from ._verify import Problem, VerifyReport, verify_logs

__all__ = [
    "ANALYTICS_EXTRA",
    "CALL_COLUMNS",
    "EVENT_COLUMNS",
    "GROUP_KEYS",
    "TOKEN_KINDS",
    "Call",
    "ConversationNotFoundError",
    "CorruptLine",
    "EventMatcher",
    "Filters",
    "Follower",
    "LiveReport",
    "Problem",
    "ReadReport",
    "RewriteResult",
    "VerifyReport",
    "call_rows",
    "default_log",
    "event_rows",
    "event_time",
    "expand_paths",
    "find_conversation",
    "forget_events",
    "iter_calls",
    "iter_events",
    "iter_lines",
    "last_calls",
    "open_binary",
    "original_lines",
    "parse_time",
    "percentile",
    "record_batches",
    "report_data",
    "rewrite_log_file",
    "summarize",
    "summarize_calls",
    "verify_logs",
]
