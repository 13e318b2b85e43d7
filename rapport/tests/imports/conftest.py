"""Helpers for the import tests: write spreadsheets, run an import the way the services do."""

import csv
import io
from pathlib import Path

import pytest


def csv_bytes(rows: list[list], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def write_csv(tmp_path):
    def write(rows: list[list], name: str = "data.csv", **kwargs) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, **kwargs))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path):
    from openpyxl import Workbook

    def write(
        rows: list[list], name: str = "data.xlsx", number_formats: dict[int, str] | None = None
    ) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        for column, fmt in (number_formats or {}).items():
            for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cells[0].number_format = fmt
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


@pytest.fixture
def run_import(db, manager):
    """Create and run a job for a file on disk; returns the finished job."""
    from rapport.imports.services import import_job_create, import_job_run

    def run(kind: str, path: Path, **kwargs):
        kwargs.setdefault("by", manager)
        job = import_job_create(kind=kind, path=path, **kwargs)
        return import_job_run(job_id=job.pk)

    return run
