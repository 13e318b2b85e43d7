"""The portal's own seams: what a private link of each purpose opens, and what a signed-in
customer sees on their portal page. Apps register from AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

# handler(request, link, token) -> response; the link is valid (not yet used) when called.
LinkHandler = Callable[[HttpRequest, Any, str], HttpResponse]
_link_handlers: dict[str, LinkHandler] = {}
_purpose_labels: dict[str, Any] = {}


def register_link_handler(purpose: str, handler: LinkHandler, label: Any = None) -> None:
    """`label`: the purpose as people read it (translated), where a link is listed to its owner."""
    _link_handlers[purpose] = handler
    if label is not None:
        _purpose_labels[purpose] = label


def purpose_label(purpose: str) -> str:
    """A private link's purpose in the active language (the code if its app names none)."""
    return str(_purpose_labels.get(purpose, purpose))


def link_handler(purpose: str) -> LinkHandler | None:
    return _link_handlers.get(purpose)


@dataclass(frozen=True)
class PortalSection:
    """A box on the signed-in customer's portal page ("your complaints", "surveys for you").
    `context(request, customer)` returns the template's context or None to leave it out; it must
    read only that customer's records."""

    name: str
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 100


_sections: dict[str, PortalSection] = {}


def register_portal_section(section: PortalSection) -> None:
    _sections[section.name] = section


def portal_sections() -> list[PortalSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))
