"""``hilt logs report``: one self-contained HTML page of charts and tables (plotly.js inlined, no network).

``--serve`` serves the same page on 127.0.0.1 and rebuilds it when the logs change, for a local live
dashboard. The page holds aggregates and a few transcripts, never every event, and renders all logged
text with ``textContent`` (never as HTML).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from ..logs import LiveReport, expand_paths
from ._logs import EXIT_OK, filters_from, report_corrupt
from ._logs_output import create_private

__all__ = ["logs_report", "render_report"]

REPORT_EXTRA = "hilt[report]"


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise ImportError(
            f"hilt logs report needs the optional package 'plotly': pip install '{REPORT_EXTRA}'"
        ) from exc
    return str(get_plotlyjs())


def render_report(data: dict[str, Any], *, refresh_seconds: int | None = None) -> str:
    """The report page for :func:`hilt.logs.report_data` output: plotly.js and the data inlined."""
    page = resources.files(__package__).joinpath("_report_page.html").read_text(encoding="utf-8")
    script = _plotly_js().replace("</script", "<\\/script")
    payload = json.dumps(data, ensure_ascii=False, default=str).replace("<", "\\u003c")
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return page.replace("<!--REFRESH-->", refresh).replace("/*DATA*/", payload).replace("/*PLOTLY*/", script)


def _live_report(args: argparse.Namespace) -> LiveReport:
    files = expand_paths(args.files, rotated=args.rotated)
    return LiveReport(files, filters=filters_from(args), rotated=False, workers=min(4, os.cpu_count() or 1))


def logs_report(args: argparse.Namespace) -> int:
    """Write the HTML report, or serve it on 127.0.0.1 with --serve."""
    if args.serve:
        return _serve(args)
    live = _live_report(args)
    page = render_report(live.update())
    report_corrupt(live.report)
    create_private(args.output)
    Path(args.output).write_text(page, encoding="utf-8")
    print(f"wrote {args.output} ({len(page.encode()) / 1e6:.1f} MB)")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock = threading.Lock()
    live = _live_report(args)
    cache: dict[str, Any] = {"data": None, "page": b""}

    def current_page() -> bytes:
        # Only the bytes appended since the last request are read (see hilt.logs.LiveReport).
        with lock:
            data = live.update()
            if data is not cache["data"]:
                cache["data"], cache["page"] = data, render_report(data, refresh_seconds=args.refresh).encode("utf-8")
            return bytes(cache["page"])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path not in ("/", "/index.html"):
                self.send_error(404)
                return
            body = current_page()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *values: Any) -> None:  # noqa: A002 - http.server's signature
            pass

    current_page()  # build once before announcing the address: errors show up now
    with ThreadingHTTPServer(("127.0.0.1", args.port), Handler) as server:
        print(f"serving the HILT report on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def add_report_command(commands: Any, add: Any, shared: Any) -> Any:
    """Register ``report`` on the ``logs`` sub-parsers (``add`` is ``_logs._add``)."""
    report = add(
        commands, "report", shared, "a self-contained HTML page of charts and tables (needs hilt[report])", logs_report
    )
    report.add_argument(
        "-o", "--output", default="report.html", metavar="OUT", help="where to write the page (default report.html)"
    )
    report.add_argument(
        "--serve", action="store_true", help="serve the page on 127.0.0.1 and rebuild it as the logs grow"
    )
    report.add_argument("--port", type=int, default=8765, help="port for --serve (default 8765; 0: any free port)")
    report.add_argument(
        "--refresh", type=int, default=15, metavar="SECONDS", help="with --serve, the page reloads itself this often"
    )
    return report
