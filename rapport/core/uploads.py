"""Uploads are refused past RAPPORT_IMPORT_MAX_UPLOAD_MB while they arrive, not after: the first of
FILE_UPLOAD_HANDLERS stops reading the request body at the limit (at once when the declared
Content-Length is over it), so a huge upload never reaches the disk or memory. The request is
marked; InvalidInputMiddleware answers 413 naming the limit, or the page shows its form again
with the message on the file field (the import page)."""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

MB = 1024 * 1024
# What a form's other fields and the multipart framing may add to the file's own size.
FORM_SLACK = 1 * MB
REFUSED = "rapport_upload_refused_mb"  # the request attribute: the limit, in MB


def max_upload_mb() -> int:
    return int(settings.RAPPORT_IMPORT_MAX_UPLOAD_MB)


def upload_refused(request: HttpRequest) -> int | None:
    """The limit (MB) an upload of this request went past, or None. Reads the body's form fields
    (up to the first file past the limit) if nothing has read them yet."""
    if request.method == "POST" and (request.content_type or "") == "multipart/form-data":
        request.POST  # noqa: B018  (parses the body with the handlers)
    return getattr(request, REFUSED, None)


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops an upload at RAPPORT_IMPORT_MAX_UPLOAD_MB: before the first byte of a file when the
    request declares more than that, else when a file's bytes pass it. The fields before the file
    (the CSRF token first) are read; nothing more of the body is."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,  # noqa: N803  (Django's name)
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        self.limit = max_upload_mb() * MB
        self.declared_too_big = bool(content_length and content_length > self.limit + FORM_SLACK)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if getattr(self, "declared_too_big", False):
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > getattr(self, "limit", max_upload_mb() * MB):
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, REFUSED, max_upload_mb())
        raise StopUpload(connection_reset=True)
