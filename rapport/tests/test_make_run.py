"""`make run` as a newcomer sees it: the recipe is run with stand-ins for the installed commands
(the real ones need minutes): the task worker and the scheduler chatter on stdout and stderr as
they do with demo data, and none of it reaches the terminal; it is in var/log/, named in the
output, and the output ends with the address and the admin login."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for .venv/bin/rapport: the worker and the scheduler log on both streams, as the
# real ones do (django_tasks logs every task at INFO; the demo data queues thousands).
RAPPORT = """#!/bin/sh
case "$1" in
  db_worker|crontask)
    i=0; while [ $i -lt 50 ]; do
      echo "Task path=rapport.communications.tasks.deliver_message state=SUCCESSFUL"
      echo "INFO deliver_message on stderr" >&2; i=$((i+1)); done
    echo "$1 done" >> "$RAPPORT_VAR_DIR/ran"
    exec sleep 30 ;;
  bootstrap) echo "Admin login: admin / s3cret"; echo s3cret > "$RAPPORT_VAR_DIR/admin-password.txt" ;;
esac
"""
# The web server: waits until both background processes have written, then stops (as Ctrl-C).
GUNICORN = """#!/bin/sh
i=0; while [ $i -lt 100 ] && [ "$(wc -l < "$RAPPORT_VAR_DIR/ran" 2>/dev/null)" != 2 ]; do
  sleep 0.1; i=$((i+1)); done
"""


def test_make_run_ends_with_the_address_and_login_and_logs_the_worker_to_files(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    for name, script in (("rapport", RAPPORT), ("gunicorn", GUNICORN)):
        (venv / "bin" / name).write_text(script)
        (venv / "bin" / name).chmod(0o755)
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "pyproject.toml").write_text("")
    os.utime(work / "pyproject.toml", (0, 0))  # older than the install markers: no install
    (venv / ".python-ok").touch()
    (venv / ".installed").touch()
    var = work / "var"
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "run", f"VENV={venv}"],
        cwd=work,
        env={**os.environ, "RAPPORT_VAR_DIR": str(var), "PORT": "8765"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output = (result.stdout + result.stderr).strip()
    assert "deliver_message" not in output
    lines = output.splitlines()
    assert lines[-2:] == [
        "Rapport is running at http://127.0.0.1:8765",
        "Log in as admin, password: s3cret",
    ], output
    assert f"{var}/log/worker.log" in output and f"{var}/log/scheduler.log" in output
    for log in ("worker.log", "scheduler.log"):
        text = (var / "log" / log).read_text()
        assert text.count("deliver_message") == 100, log  # both streams, every line
