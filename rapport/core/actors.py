"""Who did something: a staff user, or the system on someone's behalf (an import from the command
line, the demo loader, the scheduler). Services take `by: Actor`; the change log and the event rows
keep the user (if any) and the name shown in the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class SystemActor:
    """A write that no logged-in person made; `name` is what the history shows."""

    name: str

    def __str__(self) -> str:
        return self.name


COMMAND_LINE = SystemActor("command line")
DEMO = SystemActor("demo")
SCHEDULER = SystemActor("scheduler")
PORTAL = SystemActor("customer portal")

# A staff user, or the system on someone's behalf; None for writes nobody in particular made
# (tests, data migrations). AnonymousUser counts as nobody.
type Actor = User | AnonymousUser | SystemActor | None


def actor_user(by: Actor | str) -> User | None:
    """The staff user behind `by`, or None for the system."""
    return by if getattr(by, "is_authenticated", False) else None  # type: ignore[return-value]


def actor_name(by: Actor | str) -> str:
    """The name the history shows for `by`."""
    user = actor_user(by)
    if user is not None:
        return user.get_username()
    return str(by or "")
