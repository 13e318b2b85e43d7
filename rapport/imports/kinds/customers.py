"""Customers: one row per person; matched on customer number, external id, email, then phone.

The field rules are rapport.customers.validation's. Phone and email parsing is what a row costs,
so results are cached per cell text: lists from one source repeat numbers and company domains.
"""

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.bulk import History, delete_where_in, insert_rows, update_rows
from rapport.core.emails import normalize_email
from rapport.core.names import search_terms
from rapport.core.phones import looks_like_phone, normalize_phone, try_normalize_phone
from rapport.core.services import diff, snapshot
from rapport.customers.choices import (
    Channel,
    CustomerSource,
    Gender,
    IncomeBand,
    Language,
    PhoneKind,
)
from rapport.customers.duplicates import merged_into_by_external_id, merged_into_by_id
from rapport.customers.models import (
    CUSTOMER_NUMBER_PREFIX,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
)
from rapport.customers.services import apply_names
from rapport.customers.validation import (
    clean_addresses,
    clean_customer_fields,
)
from rapport.imports.choices import ImportKind
from rapport.imports.kinds.base import (
    KindImporter,
    Progress,
    RowError,
    WriteCounts,
    ensure_tags,
    lock_for_update,
    tag_names,
)
from rapport.imports.values import (
    choice,
    country,
    parse_bool,
    parse_date,
    split_full_name,
    split_list,
    text,
)

TEXT_FIELDS = (
    "external_id",
    "family_name",
    "given_name",
    "hobbies",
    "personality",
    "family_situation",
    "occupation",
    "notes",
)
CHOICE_FIELDS = {
    "gender": Gender,
    "income_band": IncomeBand,
    "preferred_language": Language,
    "preferred_channel": Channel,
    "source": CustomerSource,
}
DATE_FIELDS = ("birthday", "customer_since")
PHONE_COLUMNS = {
    "phone": PhoneKind.MOBILE.value,
    "home_phone": PhoneKind.HOME.value,
    "work_phone": PhoneKind.WORK.value,
}
ADDRESS_COLUMNS = {
    "address": "line1",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
}
CREATE_COLUMNS = (
    "external_id",
    "family_name",
    "given_name",
    "display_name",
    "sort_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "hobbies",
    "personality",
    "family_situation",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by_id",
    "notes",
    "primary_phone",
    "primary_email",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)
_NUMBER = re.compile(rf"^{CUSTOMER_NUMBER_PREFIX}?0*(\d{{1,18}})$", re.IGNORECASE)
# A row that matches a customer whom another source knows under a different external id, by what
# it matched (whole sentences for the translators).
_OTHER_SOURCE = {
    "number": gettext_lazy(
        "This row matches customer %(number)s by customer number, but that customer's external "
        "id is “%(value)s”."
    ),
    "external_id": gettext_lazy(
        "This row matches customer %(number)s by external id, but that customer's external id "
        "is “%(value)s”."
    ),
    "email": gettext_lazy(
        "This row matches customer %(number)s by email, but that customer's external id is "
        "“%(value)s”."
    ),
    "phone": gettext_lazy(
        "This row matches customer %(number)s by phone, but that customer's external id is "
        "“%(value)s”."
    ),
}
_CACHE_LIMIT = 50_000  # per cache: repeated values are what it is for; memory stays bounded


@dataclass(slots=True)
class CustomerRecord:
    row: int
    fields: dict[str, Any]
    number_id: int | None = None
    phones: list[tuple[str, str]] = field(
        default_factory=list
    )  # (E.164, kind), the first is primary
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    address: dict[str, str] | None = None
    referrer: str = ""
    family_name: str = ""
    given_name: str = ""
    display_name: str = ""
    sort_name: str = ""
    terms: frozenset[str] = frozenset()
    match_id: int | None = None

    def __reduce__(self) -> tuple:
        # Pickled as a plain tuple (cheaper than a slots dataclass's default state): records
        # travel from the worker processes and through the spool.
        return (CustomerRecord, tuple(getattr(self, f) for f in _RECORD_FIELDS))


@dataclass(slots=True)
class CustomerKeys:
    """What matching needs of a row; small, so it travels cheaply from the worker processes."""

    row: int
    number_id: int | None
    external_id: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    referrer: str
    has_names: bool
    match_id: int | None = None
    referred_by_id: int | None = None

    def __reduce__(self) -> tuple:
        return (CustomerKeys, tuple(getattr(self, f) for f in _KEYS_FIELDS))


_RECORD_FIELDS = CustomerRecord.__slots__
_KEYS_FIELDS = CustomerKeys.__slots__


def customer_number(pk: int) -> str:
    return f"{CUSTOMER_NUMBER_PREFIX}{pk:07d}"


def first_customer_by(model: type, column: str, values: set[str]) -> dict[str, int]:
    """value -> the oldest customer holding it (phones and emails are not unique)."""
    if not values:
        return {}
    found: dict[str, int] = {}
    rows = model.objects.filter(**{f"{column}__in": values}).order_by("customer_id")
    for value, customer_id in rows.values_list(column, "customer_id"):
        found.setdefault(value, customer_id)
    return found


def customer_refs(refs: Iterable[str], region: str | None = None) -> dict[str, int]:
    """Customers named by number (C0000042), external id, email or phone: {ref: customer id}."""
    pending = {r for r in refs if r}
    found: dict[str, int] = {}
    numbers = {
        ref: int(m.group(1)) for ref in pending if (m := _NUMBER.match(ref)) and ref[:1].isalpha()
    }
    if numbers:
        existing = set(
            Customer.objects.filter(pk__in=set(numbers.values())).values_list("pk", flat=True)
        )
        found.update({ref: pk for ref, pk in numbers.items() if pk in existing})
        # A number of a record merged into another one names the record it was merged into.
        merged = merged_into_by_id(pk for ref, pk in numbers.items() if ref not in found)
        found.update({ref: merged[pk] for ref, pk in numbers.items() if pk in merged})
    if rest := pending - found.keys():
        found.update(Customer.objects.filter(external_id__in=rest).values_list("external_id", "pk"))
    if rest := pending - found.keys():
        found.update(merged_into_by_external_id(rest))
    emails = {ref: ref.lower() for ref in pending - found.keys() if "@" in ref}
    by_email = first_customer_by(CustomerEmail, "address", set(emails.values()))
    found.update({ref: by_email[e] for ref, e in emails.items() if e in by_email})
    phones = {
        ref: e164
        for ref in pending - found.keys()
        if looks_like_phone(ref) and (e164 := try_normalize_phone(ref, region))
    }
    by_phone = first_customer_by(CustomerPhone, "number", set(phones.values()))
    found.update({ref: by_phone[p] for ref, p in phones.items() if p in by_phone})
    return found


class CustomerImporter(KindImporter):
    kind = ImportKind.CUSTOMERS
    model = Customer
    streams = True
    error_columns = {
        "family_name": "name",
        "given_name": "name",
        "referred_by_id": "referred_by",
        "phones": "phone",
        "emails": "email",
    }
    duplicate_messages = {
        "number": gettext_lazy("Same customer number as row %(row)d: “%(value)s”."),
        "external_id": gettext_lazy("Same external id as row %(row)d: “%(value)s”."),
        "email": gettext_lazy("Same email as row %(row)d: “%(value)s”."),
        "phone": gettext_lazy("Same phone as row %(row)d: “%(value)s”."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._text = [(f, self.index[f]) for f in TEXT_FIELDS if f in self.index]
        self._choices = [(f, c) for f, c in CHOICE_FIELDS.items() if f in self.index]
        self._dates = [f for f in DATE_FIELDS if f in self.index]
        self._address = [(col, part) for col, part in ADDRESS_COLUMNS.items() if col in self.index]
        headers = self.plan.headers
        self._phone_columns = [
            (headers[i], i, kind)
            for name, kind in PHONE_COLUMNS.items()
            for i in self.multi.get(name, ())
        ]
        self._email_columns = [(headers[i], i) for i in self.multi.get("email", ())]
        self._tags_column = self.index.get("tags")
        # Per cell text: the E.164 numbers or addresses it holds, or the messages refusing it.
        self._phone_cache: dict[str, tuple[str, ...] | list[str]] = {}
        self._email_cache: dict[str, tuple[str, ...] | list[str]] = {}
        self._tags_cache: dict[str, list[str]] = {}
        self._names_cache: dict[tuple[str, str], tuple[str, str, frozenset[str]]] = {}
        self._db_empty: bool | None = None
        self._tag_ids: dict[str, int] = {}
        self._created: set[int] = set()  # streaming: customers this import wrote already

    # 1. One row --------------------------------------------------------------------------------

    def clean(self, row: int, cells: list[Any]) -> tuple[CustomerRecord | None, list[RowError]]:
        errors: list[RowError] = []
        data: dict[str, Any] = {}
        size = len(cells)
        for name, i in self._text:
            if i < size and (value := text(cells[i])):
                data[name] = value
        for name, choices in self._choices:
            if value := choice(self.cell(cells, name), choices, name):
                data[name] = value
        for name in self._dates:
            cell = self.cell(cells, name)
            try:
                value = parse_date(cell)
            except (ValueError, OverflowError):
                value = text(cell)  # clean_customer_fields refuses it with its own message
            if value:
                data[name] = value
        if "celebrates_lunar_birthday" in self.index:
            try:
                lunar = parse_bool(self.cell(cells, "celebrates_lunar_birthday"))
            except ValueError:
                errors.append(
                    RowError(row, self.column("celebrates_lunar_birthday"), _("Enter yes or no."))
                )
            else:
                if lunar is not None:
                    data["celebrates_lunar_birthday"] = lunar
        if "name" in self.index and not (data.get("family_name") or data.get("given_name")):
            family, given = split_full_name(self.text(cells, "name"))
            data.update({k: v for k, v in (("family_name", family), ("given_name", given)) if v})
        try:
            clean = clean_customer_fields(data, partial=True)
        except ValidationError as exc:
            errors.extend(self.errors_from(row, exc))
            clean = {}
        number_id = None
        if raw_number := self.text(cells, "number"):
            if m := _NUMBER.match(raw_number):
                number_id = int(m.group(1))
            else:
                errors.append(
                    RowError(row, self.column("number"), _("No customer has this number."))
                )
        phones = self._phones(row, cells, errors)
        emails = self._emails(row, cells, errors)
        address = self._read_address(row, cells, errors)
        if errors:
            return None, errors
        i = self._tags_column
        tags_cell = cells[i] if i is not None and i < size else None
        if tags_cell is None or tags_cell == "":
            tags = []
        elif not isinstance(tags_cell, str):
            tags = tag_names(tags_cell)
        elif (tags := self._tags_cache.get(tags_cell)) is None:
            tags = tag_names(tags_cell)
            _remember(self._tags_cache, tags_cell, tags)
        record = CustomerRecord(
            row=row,
            fields=clean,
            number_id=number_id,
            phones=phones,
            emails=emails,
            tags=list(tags),
            address=address,
            referrer=self.text(cells, "referred_by"),
            family_name=clean.get("family_name", ""),
            given_name=clean.get("given_name", ""),
        )
        if record.family_name or record.given_name:
            key = (record.family_name, record.given_name)
            names = self._names_cache.get(key)
            if names is None:
                apply_names(record)  # type: ignore[arg-type]  (it reads and sets the name attributes only)
                names = (record.display_name, record.sort_name, frozenset(search_terms(*key)))
                _remember(self._names_cache, key, names)
            record.display_name, record.sort_name, record.terms = names
        return record, []

    def _phones(self, row: int, cells: list[Any], errors: list[RowError]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        size = len(cells)
        for header, i, kind in self._phone_columns:
            if i >= size or not (raw := text(cells[i])):
                continue
            result = self._phone_cache.get(raw)
            if result is None:
                result = _read_cell(raw, lambda n: normalize_phone(n, self.region))
                _remember(self._phone_cache, raw, result)
            if isinstance(result, list):
                errors.extend(RowError(row, header, m) for m in result)
                continue
            for number in result:
                if all(number != n for n, _k in out):
                    out.append((number, kind))
        return out

    def _emails(self, row: int, cells: list[Any], errors: list[RowError]) -> list[str]:
        out: list[str] = []
        size = len(cells)
        for header, i in self._email_columns:
            if i >= size or not (raw := text(cells[i])):
                continue
            result = self._email_cache.get(raw)
            if result is None:
                result = _read_cell(raw, normalize_email)
                _remember(self._email_cache, raw, result)
            if isinstance(result, list):
                errors.extend(RowError(row, header, m) for m in result)
            else:
                out.extend(e for e in result if e not in out)
        return out

    def _read_address(
        self, row: int, cells: list[Any], errors: list[RowError]
    ) -> dict[str, str] | None:
        parts: dict[str, str] = {}
        for column, part in self._address:
            if part == "country":
                try:
                    value = country(self.cell(cells, column))
                except ValueError:
                    errors.append(
                        RowError(
                            row,
                            self.column(column),
                            _("“%(value)s” is not a country.")
                            % {"value": self.text(cells, column)},
                        )
                    )
                    continue
            else:
                value = self.text(cells, column)
            if value:
                parts[part] = value
        if not parts:
            return None
        try:
            return clean_addresses([parts])[0]
        except ValidationError as exc:
            column = self.column("address") or self.plan.headers[self.index[self._address[0][0]]]
            errors.extend(RowError(row, column, m) for m in exc.messages)
            return None

    # 2. Against the rest of the file -------------------------------------------------------

    def summary(self, record: CustomerRecord) -> CustomerKeys:
        return CustomerKeys(
            row=record.row,
            number_id=record.number_id,
            external_id=record.fields.get("external_id"),
            emails=tuple(record.emails),
            phones=tuple(n for n, _k in record.phones),
            referrer=record.referrer,
            has_names=bool(record.family_name or record.given_name),
        )

    def keys(self, k: CustomerKeys) -> Iterable[tuple[str, Hashable]]:
        if k.number_id:
            yield "number", customer_number(k.number_id)
        if k.external_id:
            yield "external_id", k.external_id
        for address in k.emails:
            yield "email", address
        for number in k.phones:
            yield "phone", number

    # 3. Against the database -----------------------------------------------------------------

    def resolve(self, summaries: list[CustomerKeys]) -> list[RowError]:
        if self._db_empty is None:
            self._db_empty = not Customer.objects.exists()
        # Customers this import created (streaming) are not "existing": the file's own rows are
        # checked against each other by accept(), and a number or reference that names one of
        # them must be read as it would be before the write.
        numbers = {k.number_id for k in summaries if k.number_id} - self._created
        by_ext: dict[str, int] = {}
        by_email: dict[str, int] = {}
        by_phone: dict[str, int] = {}
        merged_numbers: dict[int, int] = {}
        if not self._db_empty:
            if ext := {k.external_id for k in summaries if k.external_id}:
                by_ext = dict(
                    Customer.objects.filter(external_id__in=ext).values_list("external_id", "pk")
                )
                # The external id of a record merged into another one (a duplicate from another
                # source) still names that customer.
                by_ext |= merged_into_by_external_id(ext - by_ext.keys())
            merged_numbers = merged_into_by_id(numbers)
            numbers |= set(merged_numbers.values())
            by_email = first_customer_by(
                CustomerEmail, "address", {e for k in summaries for e in k.emails}
            )
            by_phone = first_customer_by(
                CustomerPhone, "number", {p for k in summaries for p in k.phones}
            )
        candidates = numbers | set(by_email.values()) | set(by_phone.values())
        ext_of = (
            dict(Customer.objects.filter(pk__in=candidates).values_list("pk", "external_id"))
            if candidates
            else {}
        )
        refs = customer_refs({k.referrer for k in summaries if k.referrer}, self.region)
        if self._created:
            refs = {ref: pk for ref, pk in refs.items() if pk not in self._created}
        errors: list[RowError] = []
        for k in summaries:
            if k.number_id in merged_numbers:
                k.number_id = merged_numbers[k.number_id]
            errors.extend(self._match(k, by_ext, by_email, by_phone, ext_of, refs))
        return errors

    def decision(self, k: CustomerKeys) -> tuple:
        return (k.match_id, k.referred_by_id)

    def settle(self, record: CustomerRecord, decision: tuple) -> None:
        record.match_id, referred_by_id = decision
        if referred_by_id is not None:
            record.fields["referred_by_id"] = referred_by_id

    def _match(self, r: CustomerKeys, by_ext, by_email, by_phone, ext_of, refs) -> list[RowError]:
        errors: list[RowError] = []
        ext = r.external_id
        match, how = None, ""
        if r.number_id in ext_of:
            match, how = r.number_id, "number"
        # A number from another database (an export imported elsewhere) matches nobody here.
        elif ext and ext in by_ext:
            match, how = by_ext[ext], "external_id"
        elif found := next((by_email[e] for e in r.emails if e in by_email), None):
            match, how = found, "email"
        elif found := next((by_phone[p] for p in r.phones if p in by_phone), None):
            match, how = found, "phone"
        if match and ext and by_ext.get(ext, match) != match:
            errors.append(
                RowError(
                    r.row,
                    self.column("external_id"),
                    _("The external id “%(value)s” belongs to customer %(number)s.")
                    % {"value": ext, "number": customer_number(by_ext[ext])},
                )
            )
        elif (
            match
            and ext
            and match != r.number_id
            and by_ext.get(ext) != match
            and ext_of.get(match) not in (None, ext)
        ):
            # Another source's record for someone we know under a different id: a person must decide.
            errors.append(
                RowError(
                    r.row,
                    self.column("external_id"),
                    _OTHER_SOURCE[how] % {"number": customer_number(match), "value": ext_of[match]},
                )
            )
        if match and not errors:
            errors.extend(self.matched_once(r, match, customer_number(match)))
        if match is None and not errors and not r.has_names:
            try:
                clean_customer_fields({})
            except ValidationError as exc:
                errors.extend(self.errors_from(r.row, exc))
        if r.referrer:
            referrer = refs.get(r.referrer)
            if referrer is None or referrer == match:
                errors.append(RowError(r.row, self.column("referred_by"), _("No such customer.")))
            else:
                r.referred_by_id = referrer
        r.match_id = match
        return errors

    # 6. Writing ------------------------------------------------------------------------------

    def write(self, *, by: Any, note: str, progress: Progress) -> WriteCounts:
        counts = WriteCounts()
        history = History(Customer, by)
        user_id = by.pk if getattr(by, "is_authenticated", False) else None
        for batch in self.batches():
            ensure_tags({t for r in batch for t in r.tags}, self._tag_ids)
            creates = [r for r in batch if r.match_id is None]
            updates = [r for r in batch if r.match_id is not None]
            if creates:
                self._create(creates, history, user_id, note)
                counts.created += len(creates)
            if updates:
                changed = self._update(updates, history)
                counts.updated += changed
                counts.unchanged += len(updates) - changed
            history.flush()
            progress(len(batch))
        return counts

    def _create(
        self, records: list[CustomerRecord], history: History, user_id: int | None, note: str
    ) -> None:
        now, today = timezone.now(), timezone.localdate()
        rows = []
        for r in records:
            f = r.fields
            rows.append(
                (
                    f.get("external_id"),
                    r.family_name,
                    r.given_name,
                    r.display_name,
                    r.sort_name,
                    f.get("gender", ""),
                    f.get("birthday"),
                    f.get("celebrates_lunar_birthday", False),
                    f.get("hobbies", ""),
                    f.get("personality", ""),
                    f.get("family_situation", ""),
                    f.get("occupation", ""),
                    f.get("income_band", ""),
                    f.get("preferred_language", ""),
                    f.get("preferred_channel", ""),
                    f.get("customer_since") or today,  # as customer_create does
                    f.get("source") or CustomerSource.IMPORT.value,
                    f.get("referred_by_id"),
                    f.get("notes", ""),
                    r.phones[0][0] if r.phones else "",
                    r.emails[0] if r.emails else "",
                    user_id,
                    now,
                    now,
                    1,
                )
            )
        ids = insert_rows(Customer, CREATE_COLUMNS, rows, returning=True)
        if self.streaming:
            self._created.update(ids)
        phones, emails, terms, tags, addresses = [], [], [], [], []
        add_phone, add_email, add_term, add_tag = (
            phones.append,
            emails.append,
            terms.append,
            tags.append,
        )
        tag_ids = self._tag_ids
        for pk, r in zip(ids, records, strict=True):
            primary = True  # the first of each is the primary one
            for number, kind in r.phones:
                add_phone((pk, number, kind, primary))
                primary = False
            primary = True
            for address in r.emails:
                add_email((pk, address, primary))
                primary = False
            for term in r.terms:
                add_term((term, pk))
            for tag in r.tags:
                add_tag((pk, tag_ids[tag]))
            if r.address:
                addresses.append(_address_row(pk, r.address))
            history.created(pk, r.display_name or customer_number(pk), pk, note)
        self._insert_details(phones, emails, tags, addresses)
        insert_rows(CustomerSearchTerm, ("term", "customer_id"), terms)

    def _insert_details(self, phones: list, emails: list, tags: list, addresses: list) -> None:
        insert_rows(CustomerPhone, ("customer_id", "number", "kind", "is_primary"), phones)
        insert_rows(CustomerEmail, ("customer_id", "address", "is_primary"), emails)
        insert_rows(Customer.tags.through, ("customer_id", "tag_id"), tags)
        insert_rows(CustomerAddress, _ADDRESS_ROW, addresses)

    def _update(self, records: list[CustomerRecord], history: History) -> int:
        """Apply the file's non-empty cells to the matched customers; returns how many changed.

        Imports add phone numbers, emails, tags and addresses; they never remove any. Read as
        values, not model instances: a re-imported file mostly changes nothing, and finding that
        out must be cheap. The history has customer_snapshot()'s shape: {field: [before, after]}.
        """
        ids = [r.match_id for r in records]
        fields = sorted({n for r in records for n in r.fields} | set(_KEPT))
        rows = lock_for_update(Customer, ids).values("pk", *fields)
        current = {row["pk"]: SimpleNamespace(**row) for row in rows}
        held = _contacts(ids)
        now = timezone.now()
        groups: dict[tuple[str, ...], list[tuple]] = {}
        phones, emails, tags, addresses, renamed, terms = [], [], [], [], [], []
        changed = 0
        for r in records:
            c, (had_phones, had_emails, had_tags, had_addresses) = (
                current[r.match_id],
                held[r.match_id],
            )
            before = snapshot(c, fields=list(r.fields))
            for name, value in r.fields.items():
                setattr(c, name, value)
            changes = diff(before, snapshot(c, fields=list(r.fields)))
            columns = [n for n in r.fields if n in changes]
            if {"family_name", "given_name"} & changes.keys():
                apply_names(c)  # type: ignore[arg-type]  (reads and sets the name attributes only)
                columns += ["display_name", "sort_name"]
                renamed.append(c.pk)
                terms.extend((t, c.pk) for t in search_terms(c.family_name, c.given_name))
            new_phones = [(n, k) for n, k in r.phones if n not in had_phones]
            new_emails = [a for a in r.emails if a not in had_emails]
            new_tags = [t for t in r.tags if t not in had_tags]
            address = _new_address(c.pk, r.address, had_addresses)
            for key, had, new in (
                ("phones", had_phones, [n for n, _k in new_phones]),
                ("emails", had_emails, new_emails),
                ("tags", had_tags, new_tags),
                ("addresses", had_addresses, [address[1]] if address else []),
            ):
                if new:
                    changes[key] = [sorted(had), sorted(had + new)]
            if not changes:
                continue
            first_phone = not c.primary_phone and bool(new_phones)
            first_email = not c.primary_email and bool(new_emails)
            if first_phone:
                c.primary_phone = new_phones[0][0]
                columns.append("primary_phone")
            if first_email:
                c.primary_email = new_emails[0]
                columns.append("primary_email")
            changed += 1
            c.version += 1
            key = tuple(columns)
            groups.setdefault(key, []).append((*(getattr(c, n) for n in key), c.version, now, c.pk))
            phones.extend(
                (c.pk, n, k, first_phone and i == 0) for i, (n, k) in enumerate(new_phones)
            )
            emails.extend((c.pk, a, first_email and i == 0) for i, a in enumerate(new_emails))
            tags.extend((c.pk, self._tag_ids[t]) for t in new_tags)
            if address:
                addresses.append(_address_row(c.pk, address[0]))
            history.updated(c.pk, c.display_name or customer_number(c.pk), c.pk, changes)
        for columns, values in groups.items():
            update_rows(Customer, (*columns, "version", "updated_at"), values)
        delete_where_in(CustomerSearchTerm, "customer_id", renamed)
        insert_rows(CustomerSearchTerm, ("term", "customer_id"), terms)
        self._insert_details(phones, emails, tags, addresses)
        return changed


# Read for every matched customer: names (display name, search terms), primaries, the version.
_KEPT = (
    "family_name",
    "given_name",
    "display_name",
    "sort_name",
    "primary_phone",
    "primary_email",
    "version",
)
_ADDRESS_ROW = ("customer_id", "kind", "line1", "line2", "city", "region", "postal_code", "country")


def _contacts(ids: list[int]) -> dict[int, tuple[list[str], list[str], list[str], list[str]]]:
    """The customers' phones, emails, tag names and addresses (as the history shows them)."""
    held: dict[int, tuple[list[str], list[str], list[str], list[str]]] = {
        pk: ([], [], [], []) for pk in ids
    }
    for pk, number in CustomerPhone.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "number"
    ):
        held[pk][0].append(number)
    for pk, address in CustomerEmail.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "address"
    ):
        held[pk][1].append(address)
    through = Customer.tags.through.objects.filter(customer_id__in=ids)
    for pk, name in through.values_list("customer_id", "tag__name"):
        held[pk][2].append(name)
    for address in CustomerAddress.objects.filter(customer_id__in=ids):
        held[address.customer_id][3].append(str(address))
    return held


def _address_row(pk: int, a: dict[str, str]) -> tuple:
    # As rapport.customers.validation.clean_addresses made it.
    kind = str(a["kind"])  # a plain string for the database driver, not the choices member
    return (
        pk,
        kind,
        a["line1"],
        a["line2"],
        a["city"],
        a["region"],
        a["postal_code"],
        a["country"],
    )


def _new_address(
    pk: int, parts: dict[str, str] | None, existing: list[str]
) -> tuple[dict, str] | None:
    """(parts, as the history shows it) when the customer has no such address yet."""
    if not parts:
        return None
    shown = str(CustomerAddress(customer_id=pk, **parts))
    return None if shown in existing else (parts, shown)


def _read_cell(raw: str, normalize: Callable[[str], str]) -> tuple[str, ...] | list[str]:
    """The values of a phone or email cell (one or several, split as split_list does), each
    read by the shared rule (rapport.core.phones.normalize_phone, rapport.core.emails.
    normalize_email) as clean_phones and clean_emails read them: the distinct values in order,
    or the messages of those refused."""
    items = [raw] if _SIMPLE_CELL.fullmatch(raw) else split_list(raw)
    values: list[str] = []
    problems: list[str] = []
    for item in items:
        try:
            value = normalize(item)
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if value not in values:
            values.append(value)
    return problems if problems else tuple(values)


# A cell that split_list would return whole: no list separator, nothing to trim or unescape.
_SIMPLE_CELL = re.compile(r"[^,，;；、\n'\s](?:[^,，;；、\n]*[^,，;；、\n\s])?")


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
