"""Upload handling: bodies stream to a temporary file and stop at MAX_UPLOAD_BYTES."""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from backend.common.exceptions import ApplicationError


class UploadTooLarge(ApplicationError):
    status = 413


def too_large_message(limit: int) -> str:
    return (
        f"The upload is larger than the limit of {limit // (1024 * 1024)} MiB (MAX_UPLOAD_BYTES)."
    )


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Writes each uploaded file to disk as it arrives; aborts past the configured limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        if self._received > settings.MAX_UPLOAD_BYTES:
            self.file.close()  # deletes the temporary file
            raise UploadTooLarge(too_large_message(settings.MAX_UPLOAD_BYTES))
        return super().receive_data_chunk(raw_data, start)
