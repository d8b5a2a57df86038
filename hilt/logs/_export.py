"""Export flat event rows to Parquet, large plain files converted in forked workers.

Each worker turns its byte range into Arrow record batches in a temporary Arrow IPC file; the parent
appends those batches to the Parquet file in range order, so the rows keep the order of the log and
the output does not depend on the number of workers. Needs ``pyarrow`` (``hilt[analytics]``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ._arrow import to_batch, arrow_schema, record_batches, require
from ._filters import Filters
from ._reader import ReadReport, iter_events
from ._rows import EVENT_COLUMNS, event_row
from ._scan import Merger, plan_tasks, run_tasks

__all__ = ["export_parquet"]

_BATCH = 16_384


class _ArrowPart:
    """A sink for :func:`~hilt.logs._scan.scan_into`: the rows of one range, in an Arrow IPC file on disk."""

    def __init__(self, folder: str, filters: Filters) -> None:
        self.folder, self.filters = folder, filters
        self.path: str | None = None
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._writer: Any = None
        self._sink: Any = None

    def add_event(self, event: dict[str, Any]) -> None:
        if self.filters.active and not self.filters.accepts_event(event):
            return
        self._pending.append(event_row(event))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        pa = require("pyarrow", "export --to parquet")
        schema = arrow_schema(EVENT_COLUMNS)
        if self._writer is None:
            descriptor, self.path = tempfile.mkstemp(suffix=".arrow", dir=self.folder)
            os.close(descriptor)
            self._sink = pa.OSFile(self.path, "wb")
            self._writer = pa.ipc.new_file(self._sink, schema)
        self._writer.write_batch(to_batch(pa, schema, self._pending))
        self.rows += len(self._pending)
        self._pending = []

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = self._sink = None

    def merge(self, other: _ArrowPart) -> None:
        """Count another part's rows (the :class:`~hilt.logs._scan.Merger` interface; the caller copies the rows)."""
        self.rows += other.rows


def export_parquet(
    paths: Sequence[str | os.PathLike[str]] | None,
    output: str | os.PathLike[str],
    *,
    filters: Filters | None = None,
    report: ReadReport | None = None,
    rotated: bool = True,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write one row per event (:data:`~hilt.logs.EVENT_COLUMNS`) of the selected logs to a Parquet file.

    Args:
        progress: called with ``(bytes read, rows written)`` as the work goes.

    Returns:
        The number of rows written.
    """
    parquet = require("pyarrow.parquet", "export --to parquet")
    pa = require("pyarrow", "export --to parquet")
    filters = filters or Filters()
    report = report if report is not None else ReadReport()
    schema = arrow_schema(EVENT_COLUMNS)
    tasks = plan_tasks(paths, rotated=rotated, workers=workers)
    rows = 0
    with parquet.ParquetWriter(os.fspath(output), schema) as writer:
        if len(tasks) == 1 or workers <= 1:
            events = iter_events([path for path, _, _ in tasks], report, prefilter=filters.prefilter(), rotated=False)
            for batch in record_batches((event_row(e) for e in events if filters.accepts_event(e)), EVENT_COLUMNS):
                writer.write_batch(batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(report.bytes_read, rows)
            return rows
        merger = Merger(_ArrowPart("", filters), report)
        with tempfile.TemporaryDirectory(prefix="hilt-export-") as folder:

            def append(index: int, part: Any) -> None:
                nonlocal rows
                path = tasks[index][0]
                merger.add(path, path, part)
                if part.summary.path is not None:
                    with pa.OSFile(part.summary.path, "rb") as source:  # not mapped: keeps the memory flat
                        reader = pa.ipc.open_file(source)
                        for number in range(reader.num_record_batches):
                            writer.write_batch(reader.get_batch(number))
                    os.unlink(part.summary.path)
                rows += part.summary.rows
                if progress is not None:
                    progress(report.bytes_read, rows)

            run_tasks(tasks, partial(_ArrowPart, folder, filters), workers, on_done=append)
        report.events = merger.events
    return rows
