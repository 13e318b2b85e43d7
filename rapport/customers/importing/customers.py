"""Customers: one row per person; matched on customer number, external id, email, then phone.

The field rules are rapport.customers.validation's. Phone and email parsing is what a row costs,
so results are cached per cell text: lists from one source repeat numbers and company domains.
"""

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.core.emails import normalize_email
from rapport.core.phones import is_landline, looks_like_phone, normalize_phone, try_normalize_phone
from rapport.customers.bulk import (
    CustomerAdditions,
    Names,
    NewCustomer,
    customer_names,
    customers_add_to,
    customers_insert,
)
from rapport.customers.choices import (
    Channel,
    CustomerSource,
    Gender,
    IncomeBand,
    Language,
    PhoneKind,
)
from rapport.customers.duplicates import merged_into_by_external_id, merged_into_by_id
from rapport.customers.importing.matching import (
    POLICIES,
    PROBABLE_MATCH,
    probable_matches,
)
from rapport.customers.models import Customer, CustomerEmail, CustomerPhone
from rapport.customers.numbers import customer_number, parse_customer_number
from rapport.customers.validation import clean_addresses, clean_customer_fields
from rapport.imports.kinds.base import (
    KindImporter,
    Progress,
    RowError,
    WriteCounts,
    tag_names,
)
from rapport.imports.values import (
    AmbiguousDate,
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
_SEVERAL = re.compile(r"\s*:::\s*")  # several values in one cell, as Google and vCards write them
ADDRESS_COLUMNS = {
    "address": "line1",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
}
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
    more_addresses: list[dict[str, str]] = field(default_factory=list)  # a vCard's others
    referrer: str = ""
    family_name: str = ""
    given_name: str = ""
    names: Names | None = None
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
    # for the duplicate matcher (rapport.customers.importing.matching)
    family_name: str = ""
    given_name: str = ""
    birthday: Any = None
    skip: bool = False  # a probable match the job says to leave out

    def __reduce__(self) -> tuple:
        return (CustomerKeys, tuple(getattr(self, f) for f in _KEYS_FIELDS))


_RECORD_FIELDS = CustomerRecord.__slots__
_KEYS_FIELDS = CustomerKeys.__slots__


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
    """Customers named by number, external id, email or phone: {ref: customer id}.

    In that order, except that a bare number ("42", not "C42") is first tried as another system's
    id (it may well be one) and only then as a customer number. The number of a record merged into
    another one names the customer it was merged into; so does its external id."""
    pending = {r for r in refs if r}
    found: dict[str, int] = {}

    def by_number(texts: set[str], *, prefixed_only: bool) -> None:
        numbers = {
            ref: number
            for ref in texts
            if (number := parse_customer_number(ref, prefixed_only=prefixed_only)) is not None
        }
        if not numbers:
            return
        existing = set(
            Customer.objects.filter(pk__in=set(numbers.values())).values_list("pk", flat=True)
        )
        found.update({ref: pk for ref, pk in numbers.items() if pk in existing})
        merged = merged_into_by_id(pk for ref, pk in numbers.items() if ref not in found)
        found.update({ref: merged[pk] for ref, pk in numbers.items() if pk in merged})

    by_number(pending, prefixed_only=True)
    if rest := pending - found.keys():
        found.update(Customer.objects.filter(external_id__in=rest).values_list("external_id", "pk"))
    if rest := pending - found.keys():
        found.update(merged_into_by_external_id(rest))
    if rest := pending - found.keys():
        by_number(rest, prefixed_only=False)
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
    kind = "customers"
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
        self._names_cache: dict[tuple[str, str], Names] = {}
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
            except AmbiguousDate as exc:
                errors.append(RowError(row, self.column(name), str(exc)))
                continue
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
            if (parsed := parse_customer_number(raw_number)) is not None:
                number_id = parsed
            else:
                errors.append(
                    RowError(row, self.column("number"), _("No customer has this number."))
                )
        phones = self._phones(row, cells, errors)
        emails = self._emails(row, cells, errors)
        addresses = self._read_address(row, cells, errors)
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
            address=addresses[0] if addresses else None,
            more_addresses=addresses[1:],
            referrer=self.text(cells, "referred_by"),
            family_name=clean.get("family_name", ""),
            given_name=clean.get("given_name", ""),
        )
        if record.family_name or record.given_name:
            key = (record.family_name, record.given_name)
            names = self._names_cache.get(key)
            if names is None:  # the writer's own rule, run here (maybe in a worker process)
                names = customer_names(*key)
                _remember(self._names_cache, key, names)
            record.names = names
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
                    landline = kind == PhoneKind.MOBILE.value and is_landline(number)
                    out.append((number, PhoneKind.LANDLINE.value if landline else kind))
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
    ) -> list[dict[str, str]]:
        """The row's addresses: one, or several where the address cells hold several values
        (" ::: ", as a vCard with several ADR lines is read): the n-th value of each column
        makes the n-th address."""
        columns: list[tuple[str, str, list[Any]]] = []
        for column, part in self._address:
            value = self.text(cells, column)
            if ":::" in value:
                pieces: list[Any] = _SEVERAL.split(value)
            else:
                pieces = [self.cell(cells, column) if part == "country" else value]
            columns.append((column, part, pieces))
        addresses: list[dict[str, str]] = []
        for n in range(max((len(p) for _c, _p, p in columns), default=0)):
            parts: dict[str, str] = {}
            for column, part, pieces in columns:
                raw = pieces[n] if n < len(pieces) else ""
                if part == "country":
                    try:
                        value = country(raw)
                    except ValueError:
                        errors.append(
                            RowError(
                                row,
                                self.column(column),
                                _("“%(value)s” is not a country.") % {"value": text(raw)},
                            )
                        )
                        continue
                else:
                    value = raw
                if value:
                    parts[part] = value
            if not parts:
                continue
            try:
                addresses.append(clean_addresses([parts])[0])
            except ValidationError as exc:
                column = (
                    self.column("address") or self.plan.headers[self.index[self._address[0][0]]]
                )
                errors.extend(RowError(row, column, m) for m in exc.messages)
        return addresses

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
            family_name=record.family_name,
            given_name=record.given_name,
            birthday=record.fields.get("birthday"),
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
        if not self._db_empty:
            errors.extend(self._probable(summaries, {e.row for e in errors}))
        return errors

    def _probable(self, summaries: list[CustomerKeys], bad: set[int]) -> list[RowError]:
        """Rows that match nobody exactly but probably are an existing customer (the registered
        matcher: a name written differently, a typo…), handled as a person decided for that row
        (options["decisions"], from the review page or `--decide`), else by the job's option."""
        policy = self.options.get("probable_matches") or "ask"
        decisions = self.options.get("decisions") or {}
        rows = [k for k in summaries if k.match_id is None and k.row not in bad]
        errors: list[RowError] = []
        decided = [k for k in rows if str(k.row) in decisions]
        if decided:
            errors.extend(self._apply_decisions(decided, decisions))
        rows = [k for k in rows if k.has_names and str(k.row) not in decisions]
        if policy not in POLICIES or policy == "new" or not rows:
            return errors
        found = probable_matches(
            [
                {
                    "family_name": k.family_name,
                    "given_name": k.given_name,
                    "birthday": k.birthday,
                    "phones": list(k.phones),
                    "emails": list(k.emails),
                }
                for k in rows
            ]
        )
        for k, matches in zip(rows, found, strict=True):
            matches = [m for m in matches if m["customer_id"] not in self._created]
            if not matches:
                continue
            best = matches[0]
            number = customer_number(best["customer_id"])
            if policy == "skip":
                k.skip = True
            elif policy == "match":
                problems = self.matched_once(k, best["customer_id"], number)
                if problems:
                    errors.extend(problems)
                else:
                    k.match_id = best["customer_id"]
            else:
                errors.append(
                    RowError(
                        k.row,
                        "",
                        _(
                            "This row is probably customer %(number)s (%(evidence)s). Decide: "
                            "put the customer number in the file to update them, or import "
                            "again choosing what to do with probable matches (match, new or skip)."
                        )
                        % {"number": number, "evidence": best.get("words", "")},
                        review=PROBABLE_MATCH,
                        data=_review_data(k, matches),
                    )
                )
        return errors

    def _apply_decisions(
        self, rows: list[CustomerKeys], decisions: dict[str, Any]
    ) -> list[RowError]:
        """ "new" creates, "skip" leaves the row out, a customer number updates that customer. A
        decision that no longer holds (the customer was deleted) asks again: nothing is written."""
        chosen = {k.row: parse_customer_number(decisions[str(k.row)]) for k in rows}
        wanted = {pk for pk in chosen.values() if pk}
        existing = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        merged = merged_into_by_id(wanted - existing)
        errors: list[RowError] = []
        for k in rows:
            decision = str(decisions[str(k.row)]).strip().lower()
            if decision == "new":
                continue
            if decision == "skip":
                k.skip = True
                continue
            pk = chosen[k.row]
            pk = merged.get(pk, pk) if pk else None
            if pk is None or pk not in existing | set(merged.values()) or pk in self._created:
                errors.append(
                    RowError(
                        k.row,
                        "",
                        _(
                            "The decision for this row (“%(decision)s”) no longer holds: there is "
                            "no such customer. Decide again."
                        )
                        % {"decision": decisions[str(k.row)]},
                        review=PROBABLE_MATCH,
                        data=_review_data(k, []),
                    )
                )
                continue
            problems = self.matched_once(k, pk, customer_number(pk))
            if problems:
                errors.extend(problems)
            else:
                k.match_id = pk
        return errors

    def keep(self, records: bytes | None, summaries: list[Any]) -> None:
        super().keep(records, [s for s in summaries if not getattr(s, "skip", False)])

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

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """Creates and updates through the customer aggregate's writer (rapport.customers.bulk)."""
        counts = WriteCounts()
        for batch in self.batches():
            creates = [r for r in batch if r.match_id is None]
            updates = [r for r in batch if r.match_id is not None]
            if creates:
                ids = customers_insert(
                    [
                        NewCustomer(
                            fields={"source": CustomerSource.IMPORT.value, **r.fields},
                            phones=r.phones,
                            emails=r.emails,
                            addresses=[r.address, *r.more_addresses] if r.address else [],
                            tags=r.tags,
                            names=r.names,
                        )
                        for r in creates
                    ],
                    by=by,
                    note=note,
                    tag_ids=self._tag_ids,
                )
                if self.streaming:
                    self._created.update(ids)
                counts.created += len(creates)
            if updates:
                changed = customers_add_to(
                    [
                        CustomerAdditions(
                            customer_id=r.match_id,
                            fields=r.fields,
                            phones=r.phones,
                            emails=r.emails,
                            tags=r.tags,
                            address=r.address,
                            more_addresses=r.more_addresses,
                        )
                        for r in updates
                    ],
                    by=by,
                    tag_ids=self._tag_ids,
                )
                counts.updated += changed
                counts.unchanged += len(updates) - changed
            progress(len(batch))
        return counts


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
_SIMPLE_CELL = re.compile(r"[^,，;；、\n:'\s](?:[^,，;；、\n:]*[^,，;；、\n:\s])?")


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _review_data(k: CustomerKeys, matches: list[dict[str, Any]]) -> dict[str, Any]:
    """What the review page shows of a row waiting for a decision: the row's name and contacts,
    and the customers it probably is (at most three, best first; the evidence in its stored
    form, so the page says it in the reader's language)."""
    return {
        "family_name": k.family_name,
        "given_name": k.given_name,
        "birthday": k.birthday.isoformat() if hasattr(k.birthday, "isoformat") else k.birthday,
        "phones": list(k.phones),
        "emails": list(k.emails),
        "candidates": [
            {
                "customer_id": m["customer_id"],
                "score": m.get("score"),
                "evidence": m.get("evidence") or [],
                "words": str(m.get("words") or ""),
            }
            for m in matches[:3]
        ],
    }
