"""Background imports: big files run in the task worker (`rapport db_worker`)."""

from django.tasks import task


@task
def run_import(job_id: int) -> str:
    """Run a pending import job; a retry of a job that has started already does nothing."""
    from rapport.imports.services import import_job_run

    return import_job_run(job_id=job_id).status


@task
def read_import_columns(job_id: int) -> str:
    """Read an uploaded file's header row and first rows for the column-mapping page (then run
    the import at once if every column was recognised)."""
    from rapport.imports.services import import_job_read_columns

    return import_job_read_columns(job_id=job_id).status


@task
def mail_import_result(event_id: int) -> None:
    """Mail the person who started a background import how it ended."""
    from rapport.imports.notifications import mail_result

    mail_result(event_id)
