"""Upload handling: file bodies stream to disk and stop at MAX_UPLOAD_BYTES.

The request body itself was already written to disk by backend.api.request_body (after the
caller was allowed to upload, see `upload_admit` on the upload views); this handler writes the
file part of the multipart body into a temporary file in the same per-process folder.
"""

import os
import tempfile
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from backend.common.exceptions import ApplicationError
from backend.common.tempfiles import process_temp_dir

# Multipart framing around the file: a body larger than MAX_UPLOAD_BYTES plus this cannot hold
# a file within the limit.
MULTIPART_OVERHEAD = 64 * 1024


class UploadTooLarge(ApplicationError):
    status = 413


def too_large_message(limit: int) -> str:
    return (
        f"The upload is larger than the limit of {limit // (1024 * 1024)} MiB (MAX_UPLOAD_BYTES)."
    )


class StreamedUploadMixin:
    """For APIViews that take a file upload. Their request body is read by
    backend.api.request_body only once `upload_admit(user=..., **url_kwargs)` (which the view
    defines) returned without raising, and only up to `upload_max_bytes()`."""

    @classmethod
    def upload_max_bytes(cls) -> int:
        return settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD

    @classmethod
    def upload_too_large_message(cls) -> str:
        return too_large_message(settings.MAX_UPLOAD_BYTES)


class _ProcessTemporaryUploadedFile(TemporaryUploadedFile):
    """Django's temporary uploaded file, in this process's temporary folder (so that a crash
    leaves nothing that the next start does not sweep)."""

    def __init__(  # type: ignore[no-untyped-def]
        self, name, content_type, size, charset, content_type_extra=None
    ) -> None:
        _, ext = os.path.splitext(name)
        file = tempfile.NamedTemporaryFile(suffix=".upload" + ext, dir=process_temp_dir())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Writes each uploaded file to disk as it arrives; aborts past the configured limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.file = _ProcessTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        if self._received > settings.MAX_UPLOAD_BYTES:
            self.file.close()  # deletes the temporary file
            raise UploadTooLarge(too_large_message(settings.MAX_UPLOAD_BYTES))
        return super().receive_data_chunk(raw_data, start)
