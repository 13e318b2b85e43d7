"""Import and export pages. They check permissions and call rapport.imports.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.core.pagination import keyset_page
from rapport.core.privacy import personal_data_read
from rapport.core.registry import export_kind, import_kinds
from rapport.imports import services
from rapport.imports.choices import ImportStatus
from rapport.imports.exports import FORMATS, export_filename
from rapport.imports.forms import ImportForm
from rapport.imports.mapping import targets_for
from rapport.imports.models import ImportJob

RUNNING = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("imports.import_data")
def import_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the imports so far."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
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
    return render(request, "imports/detail.html", _job_context(services.import_job_check(job)))


@login_required
@perm("imports.import_data")
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the result page that htmx polls while the job runs; once it has finished, the
    answer carries no polling trigger, so the polling stops."""
    job = get_object_or_404(ImportJob, pk=pk)
    return render(request, "imports/_job.html", _job_context(services.import_job_check(job)))


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


def _job_context(job: ImportJob) -> dict:
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
    filters = {k: v for k, v in request.GET.items() if k not in ("cursor", "sort")}
    # Every export is logged: who, when, which filter, how many records (rapport.privacy).
    count = spec.queryset({k: v for k, v in filters.items() if v not in (None, "")}).count()
    personal_data_read(
        by=request.user, kind="file_export", count=count, filters={"kind": kind, **filters}
    )
    response = StreamingHttpResponse(
        services.export_rows(kind=kind, queryset_or_filters=filters, fmt=fmt),
        content_type=FORMATS[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(kind, fmt)}"'
    return response
