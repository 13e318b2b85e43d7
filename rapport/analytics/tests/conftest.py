"""The engine tests need neither a database nor Django settings."""

import pytest


@pytest.fixture(autouse=True)
def _english():
    """Shadow the project-wide autouse fixture of the same name, which needs pytest-django's
    ``settings``: these tests must also run with ``-p no:django``."""
    return None
