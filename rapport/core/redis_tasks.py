"""A Redis-backed queue for Django's tasks, for deployments that send from many machines.

The database queue (django-tasks-db) stays the default. Set `TASKS_BACKEND=rapport.core.
redis_tasks.RedisBackend` (and `RAPPORT_TASKS_REDIS_URL`, default redis://127.0.0.1:6379/0) and
run any number of `rapport redis_worker` processes, on any number of machines.

Each task is a JSON payload in a hash (`<prefix>:task:<id>`, kept a week, for results); its id is
pushed on a list per queue (`<prefix>:queue:<name>`). A worker moves an id atomically (BLMOVE)
from the queue to its own processing list, runs it, records the outcome and removes it. A task of
a worker that died stays in that worker's processing list; `rapport redis_worker --requeue`
puts such tasks back. Rapport's tasks are safe to run twice (a message is claimed by its key before
it is sent), so a requeue never sends anything twice.
"""

from __future__ import annotations

import json
import logging
import socket
from traceback import format_exception
from typing import Any

from django.db import close_old_connections
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
RESULT_SECONDS = 7 * 24 * 3600


class RedisBackend(BaseTaskBackend):
    supports_get_result = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        import os

        self.url = self.options.get("URL") or os.environ.get(
            "RAPPORT_TASKS_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
        self.prefix = self.options.get("PREFIX", "rapport")

    @cached_property
    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, decode_responses=True)

    def queue_key(self, queue: str) -> str:
        return f"{self.prefix}:queue:{queue}"

    def task_key(self, task_id: str) -> str:
        return f"{self.prefix}:task:{task_id}"

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(normalize_json(list(args))),  # type: ignore[arg-type]
            kwargs=dict(normalize_json(dict(kwargs))),  # type: ignore[arg-type]
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        payload = {
            "func": task.module_path,
            "queue": task.queue_name,
            "args": result.args,
            "kwargs": result.kwargs,
            "enqueued_at": result.enqueued_at.isoformat() if result.enqueued_at else None,
        }
        pipe = self.client.pipeline()
        pipe.hset(
            self.task_key(result.id), mapping={"payload": json.dumps(payload), "status": "READY"}
        )
        pipe.expire(self.task_key(result.id), RESULT_SECONDS)
        pipe.lpush(self.queue_key(task.queue_name), result.id)
        pipe.execute()
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        data = self.client.hgetall(self.task_key(result_id))
        if not data:
            raise TaskResultDoesNotExist(result_id)
        return self._result(result_id, data)

    def _result(self, result_id: str, data: dict[str, str]) -> TaskResult:
        payload = json.loads(data["payload"])
        task = import_string(payload["func"])
        errors = [
            TaskError(exception_class_path=e[0], traceback=e[1])
            for e in json.loads(data.get("errors", "[]"))
        ]
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=result_id,
            status=TaskResultStatus(data.get("status", "READY")),
            enqueued_at=parse_datetime(payload["enqueued_at"])
            if payload.get("enqueued_at")
            else None,
            started_at=parse_datetime(data["started_at"]) if data.get("started_at") else None,
            last_attempted_at=parse_datetime(data["started_at"])
            if data.get("started_at")
            else None,
            finished_at=parse_datetime(data["finished_at"]) if data.get("finished_at") else None,
            args=payload["args"],
            kwargs=payload["kwargs"],
            backend=self.alias,
            errors=errors,
            worker_ids=[w for w in [data.get("worker")] if w],
        )
        if "return" in data:
            object.__setattr__(result, "_return_value", json.loads(data["return"]))
        return result

    # The worker's side -------------------------------------------------------------------------

    def processing_key(self, worker_id: str) -> str:
        return f"{self.prefix}:processing:{worker_id}"

    def run_one(self, worker_id: str, queues: list[str], timeout: float) -> bool:
        """Take one task from the queues (waiting up to `timeout` seconds) and run it; False
        when there was none."""
        task_id = None
        for queue in queues:
            wait = timeout if queue == queues[-1] else None
            if wait is None:
                task_id = self.client.lmove(
                    self.queue_key(queue), self.processing_key(worker_id), "RIGHT", "LEFT"
                )
            else:
                task_id = self.client.blmove(
                    self.queue_key(queue), self.processing_key(worker_id), wait, "RIGHT", "LEFT"
                )
            if task_id:
                break
        if not task_id:
            return False
        key = self.task_key(task_id)
        data = self.client.hgetall(key)
        if not data:
            self.client.lrem(self.processing_key(worker_id), 1, task_id)
            return True
        started = timezone.now()
        self.client.hset(
            key,
            mapping={"status": "RUNNING", "started_at": started.isoformat(), "worker": worker_id},
        )
        result = self._result(task_id, self.client.hgetall(key))
        task_started.send(type(self), task_result=result)
        close_old_connections()
        try:
            value = result.task.call(*result.args, **result.kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # recorded, like the database backend does
            logger.exception("Task %s failed", task_id)
            errors = [
                [f"{type(exc).__module__}.{type(exc).__qualname__}", "".join(format_exception(exc))]
            ]
            self.client.hset(
                key,
                mapping={
                    "status": "FAILED",
                    "finished_at": timezone.now().isoformat(),
                    "errors": json.dumps(errors),
                },
            )
        else:
            self.client.hset(
                key,
                mapping={
                    "status": "SUCCESSFUL",
                    "finished_at": timezone.now().isoformat(),
                    "return": json.dumps(normalize_json(value)),
                },
            )
        finally:
            close_old_connections()
            self.client.lrem(self.processing_key(worker_id), 1, task_id)
        task_finished.send(type(self), task_result=self._result(task_id, self.client.hgetall(key)))
        return True

    def requeue_stale(self) -> int:
        """Put the tasks of workers that died back on their queues."""
        moved = 0
        for key in self.client.scan_iter(f"{self.prefix}:processing:*"):
            while task_id := self.client.rpop(key):
                data = self.client.hgetall(self.task_key(task_id))
                queue = json.loads(data["payload"])["queue"] if data else "default"
                self.client.lpush(self.queue_key(queue), task_id)
                moved += 1
        return moved

    def work(self, *, queues: list[str], burst: bool = False, timeout: float = 1.0) -> int:
        """Run tasks until stopped (or, with `burst`, until the queues stay empty `timeout`
        seconds); returns how many ran."""
        worker_id = f"{socket.gethostname()}-{get_random_string(8)}"
        ran = 0
        while True:
            if self.run_one(worker_id, queues, timeout):
                ran += 1
            elif burst:
                return ran
