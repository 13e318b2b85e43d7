"""Import and export pages. They check permissions and call rapport.imports.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors, text_checked_by_form, upload_limit_on_form
from rapport.core.pagination import keyset_page
from rapport.core.privacy import personal_data_read
from rapport.core.registry import export_kind, import_kinds
from rapport.core.uploads import upload_refused
from rapport.imports import services
from rapport.imports.choices import ImportStatus
from rapport.imports.exports import FORMATS, export_filename
from rapport.imports.forms import ImportForm
from rapport.imports.mapping import map_columns, targets_for
from rapport.imports.models import ImportJob

RUNNING = (
    ImportStatus.READING,
    ImportStatus.PENDING,
    ImportStatus.VALIDATING,
    ImportStatus.IMPORTING,
)


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@text_checked_by_form
@upload_limit_on_form
@login_required
@perm("imports.import_data")
def import_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the imports so far."""
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and (limit := upload_refused(request)):
        # The upload was stopped at the limit while it arrived: only that is said.
        form.is_valid()
        form.errors.clear()
        form.add_error(
            "file",
            _("The file is larger than %(limit)s MB; at most %(limit)s MB can be imported.")
            % {"limit": limit},
        )
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            job = services.import_job_create(
                kind=d["kind"],
                uploaded_file=d["file"],
                by=request.user,
                mode=d["mode"],
                dry_run=d["dry_run"],
                column_map=d["column_map"],
                language=request.LANGUAGE_CODE,
                options={"probable_matches": d.get("probable_matches") or "ask"},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Never read in the request: the task worker opens the file (issue 10, item 1).
            if not d["column_map"]:
                # The worker reads the header row and the first rows; the mapping page waits for
                # them, then shows the columns to choose — or the import, when all were known.
                job = services.import_job_read(job_id=job.pk, background=True)
                if job.status == ImportStatus.READING or (
                    job.status == ImportStatus.PENDING and job.preview.get("unknown")
                ):
                    request.session[MAPPING_KEY] = [*request.session.get(MAPPING_KEY, []), job.pk]
                    return redirect("imports:mapping", pk=job.pk)
                return redirect("imports:detail", pk=job.pk)
            services.import_job_start(job_id=job.pk, background=True)
            return redirect("imports:detail", pk=job.pk)
    page = keyset_page(
        ImportJob.objects.select_related("created_by"),
        ordering=["-id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    services.import_jobs_check(page.items)  # a job whose worker died shows as failed
    targets = [(spec.label, targets_for(spec.kind)) for spec in import_kinds()]
    return render(request, "imports/list.html", {"form": form, "page": page, "targets": targets})


@login_required
@perm("imports.import_data")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    waiting = (ImportStatus.PENDING, ImportStatus.READING)
    if job.status in waiting and pk in request.session.get(MAPPING_KEY, []):
        return redirect("imports:mapping", pk=pk)
    return render(
        request, "imports/detail.html", _job_context(services.import_job_check(job), request.user)
    )


@login_required
@perm("imports.import_data")
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the result page that htmx polls while the job runs; once it has finished, the
    answer carries no polling trigger, so the polling stops."""
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request, "imports/_job.html", _job_context(services.import_job_check(job), request.user)
    )


@login_required
@perm("imports.import_data")
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a failed import again (its worker stopped, say): a new job for the same file."""
    failed = get_object_or_404(ImportJob, pk=pk, status=ImportStatus.FAILED)
    try:
        job = services.import_job_retry(job_id=failed.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:detail", pk=pk)
    services.import_job_start(job_id=job.pk, background=True)
    return redirect("imports:detail", pk=job.pk)


@login_required
@perm("imports.import_data")
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a file that was only checked."""
    checked = get_object_or_404(ImportJob, pk=pk, dry_run=True, status=ImportStatus.DONE)
    try:
        job = services.import_job_repeat(job_id=checked.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:detail", pk=pk)
    services.import_job_start(job_id=job.pk, background=True)
    return redirect("imports:detail", pk=job.pk)


MAPPING_KEY = "imports_awaiting_mapping"  # the session's uploaded jobs waiting for their mapping


@text_checked_by_form
@login_required
@perm("imports.import_data")
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Before an uploaded file is imported: each column's field, chosen from the translated field
    names, next to the first rows of the file. The task worker reads those (the job is
    "reading" meanwhile, and this page polls until they are there); this page never opens the
    file."""
    from django.utils.text import capfirst
    from django_htmx.http import HttpResponseClientRedirect

    job = get_object_or_404(ImportJob, pk=pk)
    mine = pk in request.session.get(MAPPING_KEY, [])
    if job.status == ImportStatus.PENDING and not job.preview and mine:
        job = services.import_job_read(job_id=job.pk, background=True)  # not read yet
    if job.status == ImportStatus.READING:
        job = services.import_job_check(job)  # the worker reading it may have died
    if job.status == ImportStatus.READING:
        template = "imports/_reading.html" if request.htmx else "imports/mapping.html"
        return render(request, template, {"job": job, "reading": True})
    awaiting = job.status == ImportStatus.PENDING and job.preview.get("unknown")
    if not awaiting:  # all columns known (it runs), or the file could not be read: its result
        waiting = [j for j in request.session.get(MAPPING_KEY, []) if j != job.pk]
        request.session[MAPPING_KEY] = waiting
        url = reverse("imports:detail", args=[job.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:  # the columns have just been read: show the whole page
        return HttpResponseClientRedirect(reverse("imports:mapping", args=[job.pk]))
    headers, preview = job.preview.get("headers", []), job.preview.get("rows", [])
    plan = map_columns(job.kind, headers, job.column_map)
    chosen = dict(plan.columns)
    choices = [("", _("— do not import —"))] + [
        (t.field, capfirst(str(t.label))) for t in targets_for(job.kind)
    ]
    columns = [
        {
            "index": i,
            "header": header,
            "field": request.POST.get(f"column-{i}", chosen.get(i, "")),
            "values": [cells[i] if i < len(cells) else "" for cells in preview],
        }
        for i, header in enumerate(headers)
        if header
    ]
    if request.method == "POST":
        column_map = {c["header"]: c["field"] for c in columns}
        try:
            services.import_job_map_columns(job_id=job.pk, column_map=column_map, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            waiting = [j for j in request.session.get(MAPPING_KEY, []) if j != job.pk]
            request.session[MAPPING_KEY] = waiting
            services.import_job_start(job_id=job.pk, background=True)
            return redirect("imports:detail", pk=job.pk)
    return render(
        request,
        "imports/mapping.html",
        {"job": job, "columns": columns, "choices": choices, "preview_rows": len(preview)},
    )


def _error_groups(errors: list[dict]) -> list[dict]:
    """The same message in the same column once, with the rows it concerns ("2–40, 45")."""
    groups: dict[tuple[str, str], list[int]] = {}
    for e in errors:
        groups.setdefault((e.get("column") or "", e.get("message") or ""), []).append(e["row"])
    return [
        {"column": column, "message": message, "rows": _row_ranges(rows), "count": len(rows)}
        for (column, message), rows in groups.items()
    ]


def _row_ranges(rows: list[int]) -> str:
    numbers = sorted(set(rows))
    parts: list[str] = []
    start = prev = numbers[0] if numbers else 0
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts) if numbers else "—"


def _reviews(job: ImportJob, user) -> list[dict]:  # noqa: ANN001
    """The pages where someone decides about the rows this import stopped at (registered by the
    apps that know how, rapport.core.registry.register_import_review), with how many rows."""
    from django.urls import reverse

    from rapport.core.registry import import_review

    if job.status != ImportStatus.INVALID:
        return []
    counts: dict[str, int] = {}
    for e in job.errors or []:
        if key := e.get("review"):
            counts[key] = counts.get(key, 0) + 1
    out = []
    for key, count in counts.items():
        review = import_review(key)
        if review and (review.permission is None or user.has_perm(review.permission)):
            out.append(
                {
                    "label": review.label,
                    "url": reverse(review.url_name, args=[job.pk]),
                    "rows": count,
                }
            )
    return out


def _job_context(job: ImportJob, user=None) -> dict:  # noqa: ANN001
    done, total = services.import_job_progress(job)
    try:
        labels = {t.field: t.label for t in targets_for(job.kind)}
    except KeyError:  # a kind whose app is no longer installed
        labels = {}
    return {
        "job": job,
        "running": job.status in RUNNING,
        "done": done,
        "total": total,
        "percent": min(100, int(100 * done / total)) if total else 0,
        "columns": [(header, labels.get(name, "")) for header, name in job.columns],
        "error_groups": _error_groups(job.errors or []),
        "reviews": _reviews(job, user) if user is not None else [],
    }


@login_required
@perm("imports.export_data")
def export(request: HttpRequest, kind: str, fmt: str) -> StreamingHttpResponse:
    """The list page's rows (same filters, from the query string) as CSV or Excel."""
    try:
        spec = export_kind(kind)
    except KeyError:
        raise Http404 from None
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm(spec.view_permission):
        raise PermissionDenied
    choices = ("cursor", "sort", "headers", "values")
    filters = {k: v for k, v in request.GET.items() if k not in choices}
    # Every export is logged: who, when, which filter, how many records (rapport.privacy).
    count = spec.queryset({k: v for k, v in filters.items() if v not in (None, "")}).count()
    personal_data_read(
        by=request.user, kind="file_export", count=count, filters={"kind": kind, **filters}
    )
    response = StreamingHttpResponse(
        services.export_rows(
            kind=kind,
            queryset_or_filters=filters,
            fmt=fmt,
            headers="labels" if request.GET.get("headers") == "labels" else "fields",
            values="labels" if request.GET.get("values") == "labels" else "codes",
        ),
        content_type=FORMATS[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(kind, fmt)}"'
    return response
