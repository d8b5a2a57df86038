"""``hilt logs``: follow, find, sum up, check and export HILT logs (a thin layer over ``hilt.logs``).

Exit status of every ``hilt logs`` command: 0 success; 1 the command found a problem (``validate`` saw
a bad line, a conversation id matches nothing or several, a file is missing, an SQL error); 2 bad usage;
3 an optional package is missing (the message names the extra to install); 130 interrupted.
Corrupt lines are skipped with a count and their line numbers on stderr; they never change the status
(except for ``validate``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from ._parsers import EXIT_USAGE, add_group

__all__ = ["EXIT_BAD_INPUT", "EXIT_MISSING_EXTRA", "EXIT_OK", "register"]

EXIT_OK, EXIT_BAD_INPUT, EXIT_MISSING_EXTRA, EXIT_INTERRUPTED = 0, 1, 3, 130

EXIT_CODES = """\
exit status:
  0  success
  1  a problem in the data (validate found bad lines, verify found tampering, no or several conversations match,
     missing file, SQL error)
  2  bad usage
  3  an optional package is missing (pip install 'hilt[analytics]' or 'hilt[report]')
  130 interrupted"""

_EXAMPLES = {
    "tail": "hilt logs tail -n 20\n  hilt logs tail -f --model 'gpt-4o*'\n  hilt logs tail app.jsonl --errors --json",
    "show": "hilt logs show conv_01a22a44          # a unique prefix is enough\n  hilt logs show --last",
    "search": "hilt logs search 'refund policy' --since 7d",
    "stats": "hilt logs stats\n  hilt logs stats --by model --since 24h\n  hilt logs stats 'logs/*.jsonl' --by day --json",
    "export": "hilt logs export --to csv -o calls.csv\n"
    "  hilt logs export --to parquet -o events.parquet --since 30d\n"
    "  hilt logs export --to jsonl --rows calls | jq .\n"
    "  hilt logs export --user alice@example.com --to jsonl --rows original -o alice.jsonl\n"
    "  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 hilt logs export --otlp logs/app.jsonl",
    "validate": "hilt logs validate logs/app.jsonl",
    "sql": 'hilt logs sql "SELECT model, count(*) AS n, sum(cost_usd) AS cost FROM events GROUP BY model"\n'
    '  hilt logs sql "SELECT status, count(*) FROM calls GROUP BY 1" --json',
    "path": "hilt logs path",
    "report": "hilt logs report -o report.html --since 30d\n  hilt logs report --serve --port 8765",
    "prune": "hilt logs prune --older-than 30d --dry-run\n  hilt logs prune --older-than 30d logs/app.jsonl",
    "verify": "hilt logs verify\n  hilt logs verify logs/app.jsonl --json",
}


def _shared_options() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    group = shared.add_argument_group("selection")
    group.add_argument(
        "--since", metavar="WHEN", help="only calls since WHEN: 30m, 2h, 7d, today, or an ISO date/time (UTC)"
    )
    group.add_argument("--until", metavar="WHEN", help="only calls before WHEN (same forms)")
    group.add_argument(
        "--model", action="append", metavar="NAME", help="only this model (glob patterns allowed; repeatable)"
    )
    group.add_argument("--user", action="append", metavar="ID", help="only this end user (repeatable)")
    group.add_argument("--tag", action="append", metavar="TAG", help="only calls with this tag (repeatable)")
    group.add_argument("--errors", action="store_true", help="only failed calls")
    group.add_argument("--conversation", "-c", metavar="ID", help="only this conversation (an id or a prefix of one)")
    group.add_argument(
        "--no-rotated", dest="rotated", action="store_false", help="do not read rotated siblings (FILE.1, FILE.2.gz...)"
    )
    shared.add_argument("--json", action="store_true", help="print JSON")
    return shared


def _add(
    commands: Any,
    name: str,
    shared: argparse.ArgumentParser | None,
    help_text: str,
    func: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        parents=[shared] if shared else [],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"example:\n  {_EXAMPLES[name]}\n\n{EXIT_CODES}",
    )
    parser.set_defaults(func=_guarded(func))
    return parser


def register(subparsers: Any) -> None:
    """Add the ``logs`` sub-command group."""
    _, commands = add_group(
        subparsers,
        "logs",
        metavar="COMMAND",
        help="follow, find, sum up, check and export HILT logs",
        description="Follow, find, sum up, check and export HILT logs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES,
    )
    shared = _shared_options()

    view = _add_view_commands(commands, shared)
    data = _add_data_commands(commands, shared)
    from ._logs_report import add_report_command

    report = add_report_command(commands, _add, shared)

    for command in (*view, *data, report):
        # After each command's own positional arguments, so that ``search TEXT FILE...`` parses as written.
        command.add_argument(
            "files",
            nargs="*",
            metavar="FILE",
            help="logs or glob patterns (default: the configured log); .gz and rotated files too",
        )

    from ._logs_forget import add_forget_command

    add_forget_command(commands, _guarded)

    from ._logs_prune import add_prune_command

    add_prune_command(commands, _add)

    from ._logs_verify import add_verify_command

    add_verify_command(commands, _add)

    path = _add(commands, "path", None, "print the log file HILT writes to with the current configuration", logs_path)
    path.add_argument("--json", action="store_true", help=argparse.SUPPRESS)


def _add_view_commands(commands: Any, shared: argparse.ArgumentParser) -> tuple[argparse.ArgumentParser, ...]:
    """``tail``, ``show`` and ``search``."""
    from . import _logs_view

    tail = _add(
        commands, "tail", shared, "one line per call, newest last; -f follows the log as it grows", _logs_view.logs_tail
    )
    tail.add_argument("-n", "--lines", type=int, default=10, metavar="N", help="how many calls (default 10)")
    tail.add_argument(
        "-f", "--follow", action="store_true", help="keep printing calls as they are logged (across rotation)"
    )

    show = _add(commands, "show", shared, "a whole conversation as a transcript", _logs_view.logs_show)
    show.add_argument(
        "conversation_id", nargs="?", metavar="CONVERSATION_ID", help="a conversation id or a unique prefix of one"
    )
    show.add_argument("--last", action="store_true", help="the conversation of the newest event")

    search = _add(
        commands, "search", shared, "calls whose prompt or answer contains TEXT, newest first", _logs_view.logs_search
    )
    search.add_argument("text", metavar="TEXT", help="text to find (case-insensitive)")
    search.add_argument("-n", "--limit", type=int, default=20, metavar="N", help="at most N calls (default 20; 0: all)")

    return tail, show, search


def _add_data_commands(commands: Any, shared: argparse.ArgumentParser) -> tuple[argparse.ArgumentParser, ...]:
    """``stats``, ``export``, ``validate`` and ``sql``."""
    from . import _logs_data

    stats = _add(
        commands, "stats", shared, "calls, errors, tokens, cost, latency and TTFT percentiles", _logs_data.logs_stats
    )
    from ..logs import GROUP_KEYS

    stats.add_argument(
        "--by",
        choices=list(GROUP_KEYS),
        help="one row per model, day, hour, user, tag, conversation, status or endpoint",
    )

    export = _add(
        commands,
        "export",
        shared,
        "flat rows (the Sheets columns) as CSV, Parquet or JSON lines",
        _logs_data.logs_export,
    )
    export.add_argument(
        "--to",
        choices=("csv", "parquet", "jsonl"),
        default="csv",
        help="output format (default csv; parquet needs hilt[analytics])",
    )
    export.add_argument("-o", "--output", metavar="OUT", help="output file (default, or -: stdout; a file is required for parquet)")
    export.add_argument(
        "--rows",
        choices=("events", "calls", "original"),
        default="events",
        help="one row per event (default), per call, or the original log lines byte for byte (--to jsonl; "
        "with --user, the replies to the user's prompts too: an access request)",
    )
    export.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    export.add_argument(
        "--otlp",
        action="store_true",
        help="send the calls as spans to the OTLP endpoint of OTEL_EXPORTER_OTLP_* instead (needs hilt[otlp]; no filters)",
    )

    validate = _add(
        commands, "validate", shared, "check every line against the HILT event JSON Schema", _logs_data.logs_validate
    )
    validate.add_argument(
        "--max-errors", type=int, default=50, metavar="N", help="print at most N bad lines (default 50)"
    )

    sql = _add(
        commands, "sql", shared, "run SQL over tables events and calls (needs hilt[analytics])", _logs_data.logs_sql
    )
    sql.add_argument(
        "query", metavar="QUERY", help="SQL; the tables are events (one row per event) and calls (one per call)"
    )

    return stats, export, validate, sql


def logs_path(args: argparse.Namespace) -> int:
    """Print the configured log path."""
    from ..logs import default_log

    print(default_log())
    return EXIT_OK


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Map expected failures to the documented exit codes with one clear line on stderr."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, without a traceback at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
        except ImportError as exc:
            print(f"hilt: {exc}", file=sys.stderr)
            return EXIT_MISSING_EXTRA
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            print(f"hilt: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except ValueError as exc:
            print(f"hilt: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return run


def filters_from(args: argparse.Namespace) -> Any:
    """The :class:`hilt.logs.Filters` of the shared options."""
    from ..logs import Filters

    return Filters.from_options(
        since=args.since,
        until=args.until,
        model=args.model,
        user=args.user,
        tag=args.tag,
        errors=args.errors,
        conversation=args.conversation,
    )


def report_corrupt(report: Any) -> None:
    """One stderr line when corrupt lines were skipped."""
    if report.corrupt_count:
        from ._logs_output import escape_controls

        print(f"hilt: {escape_controls(report.summary())}", file=sys.stderr)
