"""The seams a business app plugs into, filled from each app's `AppConfig.ready()`.

One pattern for every seam (as NetBox's `netbox/registry.py`): a store per kind of contribution,
and a `register_…` function that adds to it. The apps that *use* a store (the customer page, the
customer API, the URL map) read it; they never import the contributing apps. So `customers` shows
the analytics card without importing `analytics`, and a new app adds a panel, an API section, a list
filter, a page, a router and a menu entry without editing anybody else's code.

Nothing here touches the database; everything is registered once per process, at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


Slot = Literal["top", "summary", "main", "aside"]


# Customer page panels --------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerPanel:
    """A box on the customer page.

    `context(request, customer)` returns what the template needs, or None to leave the panel out
    (nothing to show, say). It runs only when the user holds `permission`. `slot` is where it
    stands: "top" (above the name: what everyone must see first), "summary" (the full width under
    the name: key figures), "main" (the wide column, above the timeline) or "aside" (the side
    column); within a slot, lower `order` comes first.
    """

    name: str
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]
    permission: str | None = None
    slot: Slot = "aside"
    order: int = 100


_panels: dict[str, CustomerPanel] = {}


def register_customer_panel(panel: CustomerPanel) -> None:
    _panels[panel.name] = panel


def customer_panels() -> list[CustomerPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


# Sections of the customer API detail -------------------------------------------------------------


@dataclass(frozen=True)
class CustomerApiSection:
    """A field of `GET /api/v1/customers/{id}` that another app fills.

    `schema` is the field's type (a ninja Schema, or `list[Schema]`); `resolve(request, customer)`
    returns its value. Callers without `permission` get null (documented in `description`).
    """

    name: str
    schema: Any
    resolve: Callable[[HttpRequest, Any], Any]
    description: str = ""
    permission: str | None = None
    order: int = 100
    default: Any = None  # the value for callers without the permission


_api_sections: dict[str, CustomerApiSection] = {}


def register_customer_api_section(section: CustomerApiSection) -> None:
    _api_sections[section.name] = section


def customer_api_sections() -> list[CustomerApiSection]:
    return sorted(_api_sections.values(), key=lambda s: (s.order, s.name))


# Customer-list filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilter:
    """A filter of the customer list, its export and `GET /api/v1/customers`.

    `apply(queryset, value)` narrows a Customer queryset for a non-empty value (an unknown value
    matches nobody, it never raises). `choices()` gives the web list's drop-down ([] for a free
    text box). Users without `permission` see neither the filter nor its effect.
    """

    name: str
    label: Any  # "Segment": the drop-down's accessible name
    any_label: Any  # "All segments": its empty choice
    apply: Callable[[QuerySet, str], QuerySet]
    choices: Callable[[], list[tuple[str, Any]]] | None = None
    permission: str | None = None
    description: str = ""
    order: int = 100


_filters: dict[str, CustomerFilter] = {}


def register_customer_filter(customer_filter: CustomerFilter) -> None:
    """Add a filter; two apps registering one name is a mistake (one would hide the other)."""
    existing = _filters.get(customer_filter.name)
    if existing is not None and existing != customer_filter:
        raise ImproperlyConfigured(
            f"Two customer filters are named {customer_filter.name!r}: {existing.apply!r} and "
            f"{customer_filter.apply!r}"
        )
    _filters[customer_filter.name] = customer_filter


def customer_filters(user: Any = None) -> list[CustomerFilter]:
    """The registered filters, or those `user` may use."""
    found = sorted(_filters.values(), key=lambda f: (f.order, f.name))
    if user is None:
        return found
    return [f for f in found if f.permission is None or user.has_perm(f.permission)]


def customer_filter(name: str) -> CustomerFilter | None:
    return _filters.get(name)


# Merge fields of customer messages --------------------------------------------------------------


@dataclass(frozen=True)
class MergeField:
    """A merge field (`{{ name }}`) an app supplies to the texts sent to customers (campaigns).

    `values(customer_ids, language)` gives the text for each of these customers in `language`
    (a customer missing from the answer gets ""), in a fixed number of queries; it is asked only
    for the fields a text uses. The customer filters (`register_customer_filter`) are the
    audience side of the same seam.
    """

    name: str  # "recommended_products"; letters, digits and "_"
    label: Any  # "Products we recommend": listed beside the text box
    values: Callable[[list[int], str], dict[int, str]]
    description: str = ""
    order: int = 100


_merge_fields: dict[str, MergeField] = {}


def register_merge_field(merge_field: MergeField) -> None:
    """Add a merge field; two apps registering one name is a mistake (one would hide the other)."""
    existing = _merge_fields.get(merge_field.name)
    if existing is not None and existing != merge_field:
        raise ImproperlyConfigured(f"Two merge fields are named {merge_field.name!r}")
    _merge_fields[merge_field.name] = merge_field


def merge_fields() -> list[MergeField]:
    return sorted(_merge_fields.values(), key=lambda f: (f.order, f.name))


def merge_field(name: str) -> MergeField | None:
    return _merge_fields.get(name)


# Pages, API routers and the menu ---------------------------------------------------------------


@dataclass(frozen=True)
class UrlMount:
    prefix: str  # "complaints/"
    module: str  # "rapport.complaints.urls" (with app_name set)


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    permission: str | None = None
    order: int = 100


_urls: dict[str, UrlMount] = {}
_routers: list[str] = []
_nav: dict[str, NavItem] = {}


def register_urls(prefix: str, module: str) -> None:
    """Mount an app's web pages under /<prefix>."""
    _urls[prefix] = UrlMount(prefix, module)


def url_mounts() -> list[UrlMount]:
    return list(_urls.values())


def register_api_router(dotted: str) -> None:
    """An app's ninja Router, as "package.module:attribute"; mounted under /api/v1/. Named by
    string so it is imported after every app has registered its API sections."""
    if dotted not in _routers:
        _routers.append(dotted)


def api_routers() -> list[str]:
    return list(_routers)


def register_nav(item: NavItem) -> None:
    _nav[item.url_name] = item


def nav_items() -> list[NavItem]:
    return sorted(_nav.values(), key=lambda n: (n.order, n.url_name))


# Titles of change-log rows ---------------------------------------------------------------------

_change_titles: dict[tuple[str, str], dict[str, Any]] = {}


def register_change_titles(app_label: str, model_name: str, titles: dict[str, Any]) -> None:
    """Whole translated sentences for a model's change rows, per action ("create", "update",
    "delete", "merge"); `%(record)s` stands for the record's name."""
    _change_titles[(app_label, model_name)] = dict(titles)


def change_titles(app_label: str, model_name: str) -> dict[str, Any]:
    return _change_titles.get((app_label, model_name), {})


# Entries of change-log rows that are not fields of the model (a consent's channel, say): their
# label (a text, or a function of the key's part after the prefix) and the labels of their values.

_change_fields: dict[tuple[str, str], dict[str, tuple[Any, dict[str, Any]]]] = {}


def register_change_fields(
    app_label: str, model_name: str, fields: dict[str, tuple[Any, dict[str, Any]]]
) -> None:
    """{key: (label, {value: value label})} for a model's change rows; a key ending in ":" is a
    prefix ("consent:" for "consent:wechat"), its label a function of the rest of the key."""
    _change_fields.setdefault((app_label, model_name), {}).update(fields)


def change_field(app_label: str, model_name: str, key: str) -> tuple[Any, dict[str, Any]] | None:
    fields = _change_fields.get((app_label, model_name), {})
    if key in fields:
        return fields[key]
    prefix, sep, rest = key.partition(":")
    if sep and (entry := fields.get(prefix + ":")):
        label, values = entry
        return (label(rest) if callable(label) else label), values
    return None


# Import and export kinds -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportKindSpec:
    """What a file of this kind holds and how it is read, checked and written.

    `importer` is a `rapport.imports.kinds.base.KindImporter` subclass (as "module:Class", loaded
    when first used), `targets` its columns (`rapport.imports.mapping.Target`s: field, translated
    label, header aliases in the four languages). `view_permission` is what a user needs to see
    the records (exports), `permission` what they need to import them.
    """

    kind: str
    label: Any
    importer: str
    targets: Callable[[], tuple[Any, ...]]
    view_permission: str
    order: int = 100
    permission: str = ""

    @property
    def import_permission(self) -> str:
        """What a user needs, besides imports.import_data, to import this kind: `permission`,
        or by default the right to add the records it views (".view_x" -> ".add_x")."""
        return self.permission or self.view_permission.replace(".view_", ".add_", 1)


@dataclass(frozen=True)
class ExportKindSpec:
    """`columns` are the header row (the importer's field names, so an export imports again);
    `queryset(filters)` is what the list page shows for these GET parameters; `rows(queryset)`
    yields one list of cells per row, streaming (values() in id order, a chunk at a time)."""

    kind: str
    label: Any
    columns: tuple[str, ...]
    queryset: Callable[[dict[str, Any]], QuerySet]
    rows: Callable[[QuerySet], Iterable[list[Any]]]
    view_permission: str
    order: int = 100


_import_kinds: dict[str, ImportKindSpec] = {}
_export_kinds: dict[str, ExportKindSpec] = {}


def register_import_kind(spec: ImportKindSpec) -> None:
    _import_kinds[spec.kind] = spec


def import_kinds() -> list[ImportKindSpec]:
    return sorted(_import_kinds.values(), key=lambda k: (k.order, k.kind))


def import_kind(kind: str) -> ImportKindSpec:
    """KeyError for a kind nobody registered."""
    return _import_kinds[kind]


def register_export_kind(spec: ExportKindSpec) -> None:
    _export_kinds[spec.kind] = spec


def export_kinds() -> list[ExportKindSpec]:
    return sorted(_export_kinds.values(), key=lambda k: (k.order, k.kind))


def export_kind(kind: str) -> ExportKindSpec:
    return _export_kinds[kind]


@dataclass(frozen=True)
class ImportReview:
    """A page where a person decides about the rows an import stopped at before writing anything
    (rows an importer marked with `review=key`, e.g. the duplicate finder's probable matches).
    The import's result page links to it (`url_name`, reversed with the job's id) for users who
    hold `permission`."""

    key: str  # the RowError.review value of the rows it decides about
    label: Any  # the link's text: "Decide about the probable duplicates"
    url_name: str
    permission: str | None = None


_import_reviews: dict[str, ImportReview] = {}


def register_import_review(review: ImportReview) -> None:
    _import_reviews[review.key] = review


def import_review(key: str) -> ImportReview | None:
    return _import_reviews.get(key)


# Roles -----------------------------------------------------------------------------------------

_role_grants: dict[str, list[dict[str, tuple[str, ...]]]] = {}


def register_role_permissions(grants: dict[str, dict[str, tuple[str, ...]]]) -> None:
    """An app's permissions per role, in rapport.staff.roles' shape:
    {"agent": {"complaints.complaint": ("view", "add"), "extra": ("complaints.approve_remedy",)}}.
    `roles_sync` adds them to the roles' own (rapport/staff/roles.py)."""
    for role, spec in grants.items():
        _role_grants.setdefault(role, []).append(dict(spec))


def role_grants(role: str) -> list[dict[str, tuple[str, ...]]]:
    return list(_role_grants.get(role, []))


# Linkable records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkableRecord:
    """A kind of record another app may point at without importing its app (a complaint against
    a service visit, say): `describe(pk, customer_id)` returns (label, url) of that record when
    it exists and belongs to the customer (None otherwise: the reference is refused);
    `choices(customer_id)` lists the customer's recent ones for a form, newest first."""

    code: str
    label: Any
    describe: Callable[[int, int], tuple[str, str] | None]
    choices: Callable[[int], list[tuple[int, str]]]


_linkable: dict[str, LinkableRecord] = {}


def register_linkable_record(kind: LinkableRecord) -> None:
    _linkable[kind.code] = kind


def linkable_record(code: str) -> LinkableRecord | None:
    return _linkable.get(code)


# Demo data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoContext:
    """What a demo step gets: the seed (the same seed gives the same data), who loads it, the ids
    of the customers this run created (oldest first), and today."""

    seed: int
    by: Any
    customer_ids: list[int]
    today: Any


@dataclass(frozen=True)
class DemoStep:
    """Part of `rapport demo`: runs after the customers, orders and conversations exist, in the
    same transaction; returns {what: rows written} for the summary."""

    name: str
    run: Callable[[DemoContext], dict[str, int]]
    order: int = 100


_demo_steps: dict[str, DemoStep] = {}


def register_demo_step(step: DemoStep) -> None:
    _demo_steps[step.name] = step


def demo_steps() -> list[DemoStep]:
    return sorted(_demo_steps.values(), key=lambda d: (d.order, d.name))


# Satisfaction checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckAnswers:
    """The three answers of a record's satisfaction check (a complaint's, after its remedy):
    `source` is ("complaints.complaint", pk); None where the customer left a question out."""

    source: tuple[str, int]
    customer_id: int
    solved: bool | None
    score: int | None
    buy_again: bool | None
    answered_at: Any


# page(request, link, token) -> response: answers a record's one-time satisfaction-check link.
CheckPage = Callable[["HttpRequest", Any, str], Any]
_check_pages: list[CheckPage] = []
_check_listeners: dict[str, list[Callable[[CheckAnswers, Any], None]]] = {}


def register_satisfaction_check(page: CheckPage) -> None:
    """The app that runs surveys asks a record's satisfaction check as one of its surveys (the
    answers stored per question there); the record's app opens `page` for its link."""
    _check_pages[:] = [page]


def satisfaction_check_page() -> CheckPage | None:
    return _check_pages[0] if _check_pages else None


def on_satisfaction_check(source_type: str, listener: Callable[[CheckAnswers, Any], None]) -> None:
    """`listener(answers, by)` is called, inside the transaction that stores them, whenever a
    check about a record of `source_type` is answered (the complaint keeps its summary, reopens
    when the problem is not solved)."""
    handlers = _check_listeners.setdefault(source_type, [])
    if listener not in handlers:
        handlers.append(listener)


def satisfaction_check_answered(answers: CheckAnswers, *, by: Any) -> None:
    for listener in list(_check_listeners.get(answers.source[0], ())):
        listener(answers, by)


# Product notices --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePublisher:
    """Sends a product notice as one tracked kind of record (the service app's recall: who was
    told, acknowledgements, the remedy each customer chose, a public page). Another app that
    tells buyers about a product problem (the complaints' common problems) hands its notice here
    instead of keeping a second kind.

    `publish(by=, product_id=, batch=, subject=, body=)` returns (customers told, url of the record).
    """

    publish: Callable[..., tuple[int, str]]


_notice_publishers: list[NoticePublisher] = []


def register_notice_publisher(publisher: NoticePublisher) -> None:
    _notice_publishers[:] = [publisher]


def notice_publisher() -> NoticePublisher | None:
    return _notice_publishers[0] if _notice_publishers else None


_STORES: tuple[Any, ...] = (
    _panels,
    _api_sections,
    _filters,
    _merge_fields,
    _urls,
    _routers,
    _nav,
    _change_titles,
    _import_kinds,
    _export_kinds,
    _import_reviews,
    _role_grants,
    _demo_steps,
    _check_pages,
    _check_listeners,
    _notice_publishers,
)


class restoring:  # noqa: N801  (used as a context manager, like contextlib's)
    """Registrations made inside the block are undone when it ends (tests add panels, kinds…)."""

    def __enter__(self) -> None:
        self._saved = [s.copy() for s in _STORES]

    def __exit__(self, *exc: object) -> None:
        for store, saved in zip(_STORES, self._saved, strict=True):
            store.clear()
            if isinstance(store, dict):
                store.update(saved)
            else:
                store.extend(saved)
