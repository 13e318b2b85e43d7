"""How far a running import has got, readable from another process.

While rows are checked the job row itself is updated. The write runs in one transaction that
other connections cannot look into (and that holds SQLite's write lock), so during the write the
count goes to a small file next to the uploads instead; the file's modification time is then the
job's heartbeat (see rapport.imports.services.import_job_check).
"""

import logging
import os
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def _path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / str(job_id)


def report(job_id: int, done: int) -> None:
    """Write the count; a problem with the file is logged, never allowed to stop the import."""
    path = _path(job_id)
    # A temporary file of this writer's own: another process writing the same name (a test
    # database, another site on the same MEDIA_ROOT) must not take it away from under us.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(str(done))
        tmp.replace(path)  # atomic: a reader never sees half a number
    except OSError:
        logger.warning("Could not write the progress of import %s to %s", job_id, path)
        tmp.unlink(missing_ok=True)


def read(job_id: int) -> int | None:
    try:
        return int(_path(job_id).read_text())
    except (OSError, ValueError):
        return None


def written_at(job_id: int) -> datetime | None:
    """When the count was last written: the running import's heartbeat during the write."""
    try:
        return datetime.fromtimestamp(_path(job_id).stat().st_mtime, tz=UTC)
    except OSError:
        return None


def clear(job_id: int) -> None:
    _path(job_id).unlink(missing_ok=True)
    _owner_path(job_id).unlink(missing_ok=True)


# Which process runs the job: on the same machine, a job whose process is gone has stopped at
# once — no need to wait for its heartbeat to grow old (a killed worker, `kill -9`).


def _owner_path(job_id: int) -> Path:
    return _path(job_id).with_name(f"{job_id}.owner")


def claim(job_id: int) -> None:
    """Note this process (machine and pid) as the one running the job."""
    try:
        _owner_path(job_id).parent.mkdir(parents=True, exist_ok=True)
        _owner_path(job_id).write_text(f"{socket.gethostname()} {os.getpid()}")
    except OSError:
        logger.warning("Could not note the process of import %s", job_id)


def claimed(job_id: int) -> bool:
    """A process has noted that it runs the job (it was taken from the queue)."""
    return _owner_path(job_id).exists()


def owner_gone(job_id: int) -> bool:
    """True when the job's process ran on this machine and no longer exists."""
    try:
        host, pid = _owner_path(job_id).read_text().rsplit(" ", 1)
        number = int(pid)
    except (OSError, ValueError):
        return False
    if host != socket.gethostname() or number == os.getpid():
        return False
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's process)
        return False
    return False
