"""Checking a chunk of rows: in the calling process, or inside the worker processes of
rapport.imports.parallel.

This module imports nothing of Django at load time: a spawned worker unpickles these functions
before `start` has set Django up.
"""

import logging
import os
import pickle
from typing import Any

logger = logging.getLogger(__name__)
_importer: Any = None

# (pickled records that passed, [(row, summary or None, errors)])
Chunk = tuple[bytes, list[tuple[int, Any, list]]]


def start(
    settings_module: str,
    kind: str,
    headers: list[str],
    column_map: dict[str, str],
    region: str,
    language: str | None,
) -> None:
    global _importer
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from django.utils import translation

    from rapport.imports.importers import importer_class
    from rapport.imports.mapping import map_columns

    if language:
        translation.activate(language)
    _importer = importer_class(kind)(map_columns(kind, headers, column_map), region=region)


def check_in_worker(rows: list[tuple[int, list]]) -> Chunk:
    return check_chunk(_importer, rows)


def check_chunk(importer: Any, rows: list[tuple[int, list]], name: str = "") -> Chunk:
    """Each row checked by `importer.clean`; a rule that crashes on odd input makes a row error."""
    records, results = [], []
    for row, cells in rows:
        nul = next((i for i, c in enumerate(cells) if isinstance(c, str) and "\x00" in c), None)
        if nul is not None:  # a database cannot store it: the row is refused, not the file
            results.append((row, None, [_nul_error(importer, row, nul)]))
            continue
        try:
            record, errors = importer.clean(row, cells)
        except Exception as exc:  # must not stop the file
            from django.utils.translation import gettext as _

            from rapport.imports.kinds.base import RowError

            logger.exception("Row %s of %s could not be checked", row, name)
            record, errors = (
                None,
                [
                    RowError(
                        row,
                        "",
                        _("This row could not be read: %(reason)s")
                        % {"reason": exc.__class__.__name__},
                    )
                ],
            )
        if errors:
            results.append((row, None, errors))
        else:
            records.append(record)
            results.append((row, importer.summary(record), []))
    if not importer.spools:
        return b"", results
    return pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL), results


def _nul_error(importer: Any, row: int, index: int) -> Any:
    from django.utils.translation import gettext as _

    from rapport.imports.kinds.base import RowError

    headers = getattr(getattr(importer, "plan", None), "headers", None) or []
    column = headers[index] if index < len(headers) else str(index + 1)
    return RowError(
        row,
        column,
        _("This cell holds a NUL character (a zero byte), which cannot be stored: remove it."),
    )
