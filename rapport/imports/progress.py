"""How far a running import has got, readable from another process.

While rows are checked the job row itself is updated. The write runs in one transaction that
other connections cannot look into (and that holds SQLite's write lock), so during the write the
count goes to a small file next to the uploads instead.
"""

from pathlib import Path

from django.conf import settings


def _path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / str(job_id)


def report(job_id: int, done: int) -> None:
    path = _path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(str(done))
    tmp.replace(path)  # atomic: a reader never sees half a number


def read(job_id: int) -> int | None:
    try:
        return int(_path(job_id).read_text())
    except (OSError, ValueError):
        return None


def clear(job_id: int) -> None:
    _path(job_id).unlink(missing_ok=True)
