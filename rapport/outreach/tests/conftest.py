import pytest


@pytest.fixture
def audience(make_customer, manager):
    """Five customers who consented to email (two read Chinese, one Slovak), one who withdrew,
    one who never answered."""
    from rapport.customers.services import consent_set

    def make(n=5):
        people = []
        languages = ["zh-hans", "sk", "en", "zh-hans", "en"]
        for i in range(n):
            c = make_customer(
                family_name=f"Fam{i}",
                given_name=f"Giv{i}",
                emails=[{"address": f"c{i}@example.com"}],
                preferred_language=languages[i % len(languages)],
            )
            consent_set(customer=c, channel="email", granted=True, method="web_form", by=manager)
            people.append(c)
        withdrew = make_customer(
            family_name="No", given_name="Thanks", emails=[{"address": "no@example.com"}]
        )
        consent_set(customer=withdrew, channel="email", granted=True, method="web_form", by=manager)
        consent_set(customer=withdrew, channel="email", granted=False, method="phone", by=manager)
        make_customer(
            family_name="Never", given_name="Asked", emails=[{"address": "never@example.com"}]
        )
        return people

    return make


@pytest.fixture
def campaign(manager):
    from rapport.outreach.services import campaign_create

    def make(**kw):
        kw.setdefault("name", "Spring greetings")
        kw.setdefault(
            "messages",
            [
                {
                    "language": "en",
                    "subject": "Hello {{ name }}",
                    "body": "Dear {{ name }}, code {{ coupon_code }}.",
                },
                {
                    "language": "zh-hans",
                    "subject": "{{ name }}，您好",
                    "body": "亲爱的{{ name }}，优惠码 {{ coupon_code }}。",
                },
                {
                    "language": "sk",
                    "subject": "Dobrý deň, {{ name }}",
                    "body": "Milý/á {{ name }}, kód {{ coupon_code }}.",
                },
            ],
        )
        return campaign_create(by=manager, **kw)

    return make


@pytest.fixture(params=["database", "redis"])
def queue(request, settings):
    """The delivery tests run on both task queues: the database-backed one (django-tasks-db, the
    default) and the Redis-backed one. `queue.drain()` runs two workers in threads (each with its
    own database connection) until the queue is empty, as two worker processes would."""
    import threading
    import uuid

    from django.db import connection

    class Queue:
        name = request.param

        def drain(self):
            from django.tasks import task_backends

            backend = task_backends["default"]
            ran = []

            def work(i):
                try:
                    if self.name == "redis":
                        ran.append(backend.work(queues=["default"], burst=True, timeout=0.5))
                    else:
                        from django_tasks_db.management.commands.db_worker import Worker

                        Worker(
                            queue_names=["default"],
                            interval=0.05,
                            batch=True,
                            backend_name="default",
                            startup_delay=False,
                            max_tasks=None,
                            worker_id=f"test-worker-{i}",
                            excluded_queue_names=[],
                        ).run()
                finally:
                    connection.close()

            threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return sum(ran)

    if request.param == "redis":
        prefix = f"rapport-test-{uuid.uuid4().hex}"
        settings.TASKS = {
            "default": {
                "BACKEND": "rapport.core.redis_tasks.RedisBackend",
                "QUEUES": ["default"],
                "OPTIONS": {"URL": "redis://127.0.0.1:6379/15", "PREFIX": prefix},
            }
        }
        yield Queue()
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    else:
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
        }
        yield Queue()
