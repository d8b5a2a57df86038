"""``hilt demo``: an instrumented chat flow against a loopback server, offline and without an API key."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..logs import summarize
from ..logs._files import rotated_siblings
from ._parsers import EXIT_USAGE

__all__ = ["converse", "demo_path_problem", "register", "run_demo", "stream_reply"]


def register(subparsers: Any) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run an instrumented chat flow against a local fake OpenAI server (offline, no API key)",
        description=(run_demo.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument(
        "--filepath",
        help="where to write the events: a new or empty file (default: a new temporary folder); a file that already "
        "holds lines, or has rotated files, is refused (exit status 2): the demo's fake calls never mix into a real log",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    path = Path(args.filepath) if args.filepath else Path(tempfile.mkdtemp(prefix="hilt-demo-")) / "demo.jsonl"
    problem = demo_path_problem(path)
    if problem:
        print(f"hilt: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    summary = run_demo(path)
    print(f"HILT demo: {summary['calls']} calls logged to {path}")
    print(
        f"  events: {summary['events']}  conversations: {summary['conversations']}  "
        f"errors: {summary['errors']}  tokens: {summary['tokens']['total']}  "
        f"cost: ${summary['cost_usd'] or 0:.6f}  median latency: {summary['latency_ms']['p50']} ms"
    )
    _show_what_next(path, summary)
    return 0


def _show_what_next(path: Path, summary: dict[str, Any]) -> None:
    """End with what the user can now do with the log: the same commands, run on it."""
    from ..logs import last_calls
    from ._logs_data import print_stats
    from ._logs_output import Output
    from ._logs_view import call_lines

    out = Output()
    quoted = shlex.quote(str(path))
    print(f"\nThe last calls:  hilt logs tail {quoted}")
    for line in call_lines(last_calls([path], 3), out):
        print("  " + line)
    print(f"\nBy model:  hilt logs stats {quoted} --by model")
    print_stats(summarize([path], by="model"), out)
    print(f"\nReport:  {_write_report(path)}")
    print("\nMore:")
    print(f"  hilt logs show --last {quoted}             # the newest conversation as a transcript")
    print(f"  hilt logs search Lisbon {quoted}           # calls whose prompt or answer mentions Lisbon")
    print(f"  hilt logs export {quoted} --to csv -o calls.csv --rows calls")


def _write_report(path: Path) -> str:
    """Write the HTML report next to the log (never over an existing file); say how to get it when plotly is
    not installed."""
    from ..logs import report_data
    from ._logs_report import render_report

    command = "hilt logs report " + shlex.quote(str(path))
    try:
        page = render_report(report_data([path]))
    except ImportError:
        return f"pip install 'hilt[report]', then: {command}"
    report = path.with_name("report.html")
    try:
        with report.open("x", encoding="utf-8") as out:  # "x": a report.html of the user's stays as it is
            out.write(page)
    except FileExistsError:
        return f"{command} -o FILE  ({report} exists: the demo does not overwrite it)"
    return f"{report}  (open it in a browser; hilt logs report --serve for a live one)"


def demo_path_problem(path: Path) -> str | None:
    """Why the demo must not write to ``path`` (a folder, a file holding lines, a log with rotated files: a
    real log would get the demo's fake calls and costs in its stats and reports); ``None`` for a new or empty file."""
    if path.is_dir():
        return f"not writing the demo to {path}: it is a folder. Name a new file (e.g. --filepath {_free_name(path)})"
    size = path.stat().st_size if path.exists() else 0
    siblings = rotated_siblings(path)
    if not size and not siblings:
        return None
    why = f"it already holds {size:,} bytes" if size else f"it has rotated files ({', '.join(p.name for p in siblings)})"
    return (
        f"not writing the demo to {path}: {why}, so it may be a real log, and the demo's fake calls and costs "
        f"would mix into its stats and reports. Name a new file (e.g. --filepath {_free_name(path.parent)}), or leave "
        "out --filepath for a temporary folder"
    )


def _free_name(folder: Path) -> str:
    """A ``demo.jsonl`` (or ``demo-2.jsonl``...) in ``folder`` that does not exist, shell-quoted."""
    for number in range(1, 1000):
        candidate = folder / ("demo.jsonl" if number == 1 else f"demo-{number}.jsonl")
        if not candidate.exists() and not rotated_siblings(candidate):
            return shlex.quote(str(candidate))
    return shlex.quote(str(folder / "demo.jsonl"))


def run_demo(path: Path) -> dict[str, Any]:
    """Start a fake OpenAI server on 127.0.0.1, make a multi-turn conversation, a streamed answer, a tool
    call and a rate-limited call through the real ``openai`` SDK with HILT on, and summarise the log.

    Raises:
        ValueError: ``path`` is not a new or empty file (see :func:`demo_path_problem`); nothing is written.
    """
    import openai

    import hilt
    from hilt.testing import FakeOpenAIServer

    problem = demo_path_problem(path)
    if problem:
        raise ValueError(problem)
    was_instrumented = hilt.is_instrumented()
    with FakeOpenAIServer() as server:
        hilt.instrument(backend="local", filepath=str(path))
        try:
            with openai.OpenAI(base_url=server.base_url, api_key="demo-key-not-sent-anywhere", max_retries=0) as client:
                converse(
                    client,
                    [
                        ("I want to visit Lisbon in spring.", "Spring is lovely in Lisbon: mild weather and fewer crowds."),
                        ("What should I pack?", "A light jacket and good shoes."),
                    ],
                    system="You are a helpful travel assistant.",
                )
                stream_reply(
                    client,
                    "Write a haiku about the sea.",
                    "Waves fold into foam, salt wind carries gull voices, the tide keeps its time.",
                )
                _tool_call(client)
                _rate_limited(client)
        finally:
            if not was_instrumented:
                hilt.uninstrument()
    return summarize([path])


def converse(client: Any, turns: list[tuple[str, str]], *, system: str | None = None) -> None:
    """Chat turns that resend the growing history: each ``(question, reply)`` asks ``question``, and the
    loopback server answers ``reply``."""
    history: list[Any] = [{"role": "system", "content": system}] if system else []
    for question, reply in turns:
        history.append({"role": "user", "content": question})
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=history, extra_headers={"x-fake-reply": reply})
        history.append(answer.choices[0].message)


def stream_reply(client: Any, question: str, reply: str) -> None:
    """A streamed chat answer (``reply``, usage in the last chunk), read to the end."""
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": question}],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-fake-reply": reply},
    )
    for _chunk in stream:
        pass


def _tool_call(client: Any) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=tools,
        extra_headers={"x-fake-tool-call": "get_weather"},
    )


def _rate_limited(client: Any) -> None:
    import openai

    try:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "One more question?"}],
            extra_headers={"x-fake-status": "429"},
        )
    except openai.RateLimitError:
        pass  # the demo shows how an error is logged; the application handles it as usual
