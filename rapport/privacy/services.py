"""Writes of the privacy app: erasing a person on request, logging reads of personal data, and the
retention purge.

The erasure follows the declarations of every relation to a customer (`rapport.core.relations`):
`Erase.delete()` rows go, `Erase.redacting(...)` rows get the declared values, `Erase.keep(...)`
rows stay; then every registered personal-data holder (uploaded import files) removes what names
the person, and the customer row itself is made anonymous by its owner
(`customers.services.customer_anonymise`). It never names another app's models: a new app's rows
are covered by its own declaration.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor, actor_name, actor_user
from rapport.core.exceptions import ValidationError
from rapport.core.privacy import ReadLimitExceeded
from rapport.core.relations import (
    CustomerRelation,
    customer_relations,
    personal_data_holders,
)
from rapport.customers.models import Customer
from rapport.customers.services.customers import customer_anonymise
from rapport.privacy.choices import ReadKind
from rapport.privacy.models import Erasure, PersonalDataRead
from rapport.privacy.selectors import person_of

REASON_MAX = 1000


@transaction.atomic
def customer_erase(*, by: Actor, customer: Customer | int, reason: str) -> Erasure:
    """Erase everything personal held about the customer, on their request: the rows under the
    record are deleted or redacted as each relation declares, uploaded files that name them are
    deleted, and the record keeps only its number (orders and amounts stay for the accounts,
    anonymous). Records who erased, when and why — nothing of what was erased."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the data is erased (the person's request).")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": [_("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}]}
        )
    pk = customer if isinstance(customer, int) else customer.pk
    locked = Customer.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise Customer.DoesNotExist(_("No such customer."))
    person = person_of(locked)
    report: dict[str, int] = {}
    for relation in customer_relations():
        done = _erase(relation, locked)
        if done:
            report[str(relation.model._meta.label)] = done
    for holder in personal_data_holders():
        done = holder.eraser()(person)
        if done:
            report[holder.name] = done
    customer_anonymise(customer_id=locked.pk, by=by)
    return Erasure.objects.create(
        customer_id=locked.pk,
        number=locked.number,
        erased_at=timezone.now(),
        erased_by=actor_user(by),
        erased_by_name=actor_name(by)[:150],
        reason=reason,
        report=report,
    )


def _erase(relation: CustomerRelation, customer: Customer) -> int:
    """Carry out one relation's erase declaration; returns the rows it touched."""
    action = relation.erase.action
    if action == "keep":
        return 0
    model = relation.model
    field: Any = model._meta.get_field(relation.field)
    if field.many_to_many:
        # a membership (the customer's tags, a campaign's audience): the links hold nothing else,
        # and "delete" removes the person's links, never the tag or the campaign
        through = field.remote_field.through
        column = field.m2m_field_name() if model is Customer else field.m2m_reverse_field_name()
        links = through._base_manager.filter(**{column: customer.pk})
        if action == "delete":
            deleted, _by_model = links.delete()
            return int(deleted)
        return 0
    rows = model._base_manager.filter(**{relation.field: customer.pk})
    if model is Customer:
        rows = rows.exclude(pk=customer.pk)
    if action == "delete":
        # a raw delete of the declared rows and what cascades from them
        deleted, _by_model = rows.delete()
        return int(deleted)
    if action == "redact":
        return int(rows.update(**relation.erase.redact))
    raise ValueError(f"{relation}: unknown erase action {action!r}")


# Reads of personal data -------------------------------------------------------------------------


def read_log(
    *,
    by: Actor,
    kind: str,
    count: int,
    filters: dict[str, Any],
    customer_id: int | None = None,
) -> PersonalDataRead:
    """Log one read of personal data; refuse (ReadLimitExceeded) a page of the customer list to a
    reader without the export permission who has read RAPPORT_PRIVACY_LIST_DAILY_RECORDS records
    through the list today."""
    user = actor_user(by)
    if kind == ReadKind.LIST_PAGE and user is not None and not user.has_perm("imports.export_data"):
        limit = settings.RAPPORT_PRIVACY_LIST_DAILY_RECORDS
        since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        so_far = (
            PersonalDataRead.objects.filter(user=user, kind=kind, time__gte=since).aggregate(
                n=models.Sum("count")
            )["n"]
            or 0
        )
        if so_far + count > limit:
            raise ReadLimitExceeded(
                _(
                    "You may read %(limit)d customers a day through the list without the export "
                    "permission; ask a manager for an export."
                )
                % {"limit": limit}
            )
    return PersonalDataRead.objects.create(
        time=timezone.now(),
        user=user,
        user_name=actor_name(by)[:150],
        kind=kind,
        customer_id=customer_id,
        filters=_json_safe(filters),
        count=count,
    )


def _json_safe(filters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if isinstance(value, bool | int | float) or value is None:
            out[str(key)[:60]] = value
        else:
            out[str(key)[:60]] = str(value)[:200]
    return out


# Retention --------------------------------------------------------------------------------------


def retention_purge(*, now: Any = None) -> dict[str, int]:
    """Delete what is kept longer than the retention settings allow: uploaded import files and
    finished import jobs (through the imports app) and old reads of personal data."""
    from rapport.imports.retention import import_files_purge, import_jobs_purge

    now = now or timezone.now()
    done = {
        "import_files": import_files_purge(
            older_than=now - timedelta(days=settings.RAPPORT_RETENTION_IMPORT_FILES_DAYS)
        ),
        "import_jobs": import_jobs_purge(
            older_than=now - timedelta(days=settings.RAPPORT_RETENTION_IMPORT_JOBS_DAYS)
        ),
    }
    cutoff = now - timedelta(days=settings.RAPPORT_RETENTION_READ_LOG_DAYS)
    done["read_log"], _n = PersonalDataRead.objects.filter(time__lt=cutoff).delete()
    return done
