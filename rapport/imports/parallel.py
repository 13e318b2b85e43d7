"""Checking the rows of a big file in worker processes.

A row's check is pure Python with no database (parsing phone numbers and emails is most of it), so
for big files chunks of rows go to one worker process per CPU and come back in file order, the
records already pickled for the spool; duplicates, matching and the write stay in the calling
process. Small files are checked in process: starting the workers costs a second or two.

Workers are spawned (fresh interpreters): the calling process has threads (numpy's, polars'), and
forking it is unsafe. Spawning imports the main module again, so scripts that import big files
must keep their work under `if __name__ == "__main__":` — as `rapport` and manage.py do.
"""

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from django.conf import settings
from django.utils import translation

from rapport.imports import worker
from rapport.imports.kinds.base import KindImporter

CHUNK_ROWS = 2000
Rows = Iterable[tuple[int, list]]


def min_rows() -> int:
    """Files with at least this many rows are checked in parallel (0 turns it off)."""
    return getattr(settings, "RAPPORT_IMPORT_PARALLEL_ROWS", 20_000)


def workers() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(8, cpus))


def chunks(rows: Rows, size: int) -> Iterator[list[tuple[int, list]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def check_rows(importer: KindImporter, rows: Rows, *, name: str = "") -> Iterator[worker.Chunk]:
    """The rows checked in this process, a chunk at a time."""
    for chunk in chunks(rows, CHUNK_ROWS):
        yield worker.check_chunk(importer, chunk, name)


def check_rows_in_workers(
    importer: KindImporter,
    rows: Rows,
    *,
    column_map: dict[str, str] | None,
    processes: int | None = None,
) -> Iterator[worker.Chunk]:
    """As check_rows, in worker processes; the chunks come back in file order."""
    processes = processes or workers()
    plan = importer.plan
    init = (
        os.environ.get("DJANGO_SETTINGS_MODULE", "rapport.settings"),
        plan.kind,
        plan.headers,
        column_map or {},
        importer.region,
        translation.get_language(),
    )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=worker.start, initargs=init
    ) as pool:
        pending: deque[Future] = deque()
        for chunk in chunks(rows, CHUNK_ROWS):
            pending.append(pool.submit(worker.check_in_worker, chunk))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
