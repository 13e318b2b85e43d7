"""The duplicate review queue and the decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ConflictError
from rapport.core.pagination import keyset_page
from rapport.dedupe import selectors, services
from rapport.dedupe.evidence import describe
from rapport.dedupe.models import DedupeEvent, DuplicatePair, NotSamePerson


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("dedupe.view_duplicatepair")
def queue(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        selectors.queue(), ordering=["-score", "-id"], cursor=request.GET.get("cursor"), size=50
    )
    rows = [(p, describe(p.evidence)) for p in page.items]
    last = DedupeEvent.objects.filter(type="searched").order_by("-time", "-id").first()
    return render(request, "dedupe/queue.html", {"page": page, "rows": rows, "last_search": last})


@login_required
@perm("customers.merge_customer")
@require_POST
def search(request: HttpRequest) -> HttpResponse:
    from rapport.dedupe.tasks import find_duplicates

    find_duplicates.enqueue()
    messages.success(
        request, _("The duplicate search has started; the queue fills when it is done.")
    )
    return redirect("dedupe:queue")


@login_required
@perm("dedupe.add_notsameperson")
@require_POST
def not_same(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(DuplicatePair, pk=pk)
    services.not_same_person(
        first_id=pair.first_id,
        second_id=pair.second_id,
        by=request.user,
        note=request.POST.get("note", ""),
    )
    messages.success(
        request, _("Marked as different people: this pair will not be proposed again.")
    )
    return redirect("dedupe:queue")


@login_required
@perm("customers.merge_customer")
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(DuplicatePair, pk=pk)
    try:
        keep = int(request.POST.get("keep", pair.first_id))
    except ValueError:
        keep = pair.first_id
    if keep not in (pair.first_id, pair.second_id):
        keep = pair.first_id
    drop = pair.second_id if keep == pair.first_id else pair.first_id
    try:
        result = services.merge(keep_id=keep, drop_id=drop, by=request.user)
    except (ConflictError, ValidationError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return redirect("dedupe:queue")
    messages.success(request, _("Merged: %(summary)s") % {"summary": result.summary()})
    return redirect(result.customer.get_absolute_url())


@login_required
@perm("dedupe.view_notsameperson")
def decisions(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        selectors.decisions(), ordering=["-id"], cursor=request.GET.get("cursor"), size=50
    )
    return render(request, "dedupe/decisions.html", {"page": page})


@login_required
@perm("dedupe.delete_notsameperson")
@require_POST
def decision_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(NotSamePerson, pk=pk)
    services.decision_withdraw(decision_id=pk, by=request.user)
    messages.success(request, _("Decision withdrawn: the pair may be proposed again."))
    return redirect("dedupe:decisions")


@login_required
@perm("imports.import_data")
def import_review(request: HttpRequest, job_id: int) -> HttpResponse:
    """The rows an import stopped at because they probably are existing customers: for each, the
    same person as one of them (update that customer), a new customer, or leave it out; then the
    import runs again with these decisions, all of them or none."""
    from rapport.dedupe.importing import UNDECIDED, import_decide, review_rows
    from rapport.imports.models import ImportJob

    job = get_object_or_404(ImportJob, pk=job_id)
    rows = review_rows(job)
    for r in rows:
        r.chosen = request.POST.get(f"row-{r.row}", "")
    chosen = {r.row: r.chosen for r in rows}
    undecided = request.POST.get("undecided", "ask")
    problems: list[str] = []
    if request.method == "POST":
        decisions = {row: value for row, value in chosen.items() if value}
        try:
            again = import_decide(
                job_id=job.pk, decisions=decisions, undecided=undecided, by=request.user
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request,
                _(
                    "The import runs again with your decisions; nothing is written unless all "
                    "of them can be applied."
                ),
            )
            return redirect("imports:detail", pk=again.pk)
    return render(
        request,
        "dedupe/import_review.html",
        {
            "job": job,
            "rows": rows,
            "undecided": undecided if undecided in UNDECIDED else "ask",
            "undecided_choices": [
                ("ask", _("Ask me again (the import stops at them)")),
                ("match", _("The same person as the best match: update that customer")),
                ("new", _("New customers")),
                ("skip", _("Leave them out")),
            ],
            "problems": problems,
        },
    )
