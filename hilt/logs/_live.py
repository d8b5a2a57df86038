"""Report data kept up to date as logs grow (``hilt logs report --serve``): each update reads only the
bytes appended since the previous one.

A file is known by its inode, so a rotation (the log renamed to ``app.jsonl.1``, a new ``app.jsonl``)
reads only the new file. When a known file shrinks or disappears (truncated, compressed, deleted),
everything is read again. A line still being written (no newline yet) waits for the next update.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._files import expand_paths, is_gzip
from ._filters import Filters
from ._reader import ReadReport
from ._report import ReportCollector, collect_filtered, finish_report
from ._scan import Merger, run_tasks, split_range

__all__ = ["LiveReport", "report_data"]

_TAIL_PROBE = 1 << 16


def _complete_end(path: Path, size: int) -> int:
    """The offset just after the last newline of the first ``size`` bytes (0 when there is none)."""
    with open(path, "rb") as stream:
        end = size
        while end > 0:
            start = max(0, end - _TAIL_PROBE)
            stream.seek(start)
            block = stream.read(end - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
    return 0


class LiveReport:
    """The report data of some logs, updated incrementally; with filters, rebuilt whenever the logs change."""

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]] | None = None,
        *,
        filters: Filters | None = None,
        rotated: bool = True,
        workers: int = 1,
        report: ReadReport | None = None,
    ) -> None:
        self.paths, self.filters, self.rotated, self.workers = paths, filters or Filters(), rotated, workers
        self._first_report = report
        self._reset()

    def _reset(self) -> None:
        self.report = self._first_report if self._first_report is not None else ReadReport()
        self._first_report = None
        self._merger = Merger(ReportCollector(), self.report)
        self._read_to: dict[tuple[int, int], int] = {}  # (device, inode) -> bytes read so far
        self._signature: tuple[Any, ...] | None = None
        self._data: dict[str, Any] | None = None

    def update(self) -> dict[str, Any]:
        """The report data now (see :func:`~hilt.logs.report_data`), reading only what changed."""
        files = expand_paths(self.paths, rotated=self.rotated)
        stats = {path: path.stat() for path in files}
        signature = tuple((str(p), s.st_ino, s.st_size) for p, s in stats.items())
        if signature == self._signature and self._data is not None:
            return self._data
        if self.filters.active:
            self.report = ReadReport() if self._signature is not None else self.report
            data = collect_filtered(files, self.filters, self.report)
            self._data, self._signature = finish_report(data, files, self.report), signature
            return self._data
        present = {(s.st_dev, s.st_ino): s.st_size for s in stats.values()}
        if any(key not in present or present[key] < done for key, done in self._read_to.items()):
            self._reset()
        tasks: list[tuple[Any, tuple[str, int, int | None]]] = []
        for path, info in stats.items():
            key = (info.st_dev, info.st_ino)
            start = self._read_to.get(key, 0)
            if is_gzip(path):
                end: int | None = None if start == 0 else start  # a gzipped file is read once, whole
                self._read_to[key] = info.st_size
            else:
                end = _complete_end(path, info.st_size)
                self._read_to[key] = max(start, end)
            if end is None or end > start:
                tasks += [(key, task) for task in split_range(path, start, end, self.workers)]
        def merge(index: int, part: Any) -> None:
            key, (path, _, _) = tasks[index]
            self._merger.add(key, path, part)

        run_tasks([task for _, task in tasks], ReportCollector, self.workers, on_done=merge)
        self._data = finish_report(self._merger.result(), files, self.report)
        self._signature = signature
        return self._data


def report_data(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    filters: Filters | None = None,
    report: ReadReport | None = None,
    rotated: bool = True,
    workers: int = 1,
) -> dict[str, Any]:
    """The aggregates of ``hilt logs report``: ``summary`` (what :func:`~hilt.logs.summarize` returns), ``series``
    per day (per hour under 3 days), ``models``, ``cost_by_day_model``, latency and TTFT histograms,
    ``top_conversations``, ``slowest_calls``, ``errors`` and the ``transcripts`` of the conversations listed.

    A line still being written (no newline yet) is left for the next read."""
    return LiveReport(paths, filters=filters, rotated=rotated, workers=workers, report=report).update()
