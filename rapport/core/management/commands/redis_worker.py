"""Run tasks from the Redis queue (TASKS backend rapport.core.redis_tasks.RedisBackend)."""

from django.core.management.base import BaseCommand, CommandError
from django.tasks import task_backends

from rapport.core.redis_tasks import RedisBackend


class Command(BaseCommand):
    help = "Run background tasks from the Redis queue; start as many as the load needs."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="append", dest="queues", help="queue name(s)")
        parser.add_argument("--backend", default="default")
        parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
        parser.add_argument(
            "--requeue", action="store_true", help="first put back tasks of dead workers"
        )

    def handle(self, *args, **options):
        backend = task_backends[options["backend"]]
        if not isinstance(backend, RedisBackend):
            raise CommandError("The TASKS backend is not rapport.core.redis_tasks.RedisBackend.")
        if options["requeue"]:
            self.stdout.write(f"Requeued {backend.requeue_stale()} tasks.")
        ran = backend.work(
            queues=options["queues"] or sorted(backend.queues), burst=options["burst"]
        )
        self.stdout.write(f"Ran {ran} tasks.")
