"""Typed reads of import files.

Every value a parser uses goes through a FieldReader: its type and range are checked before
it is used, and before anything proportional to a count the file declares is allocated.
A wrong value is a FormatError (400) naming the file and the field and saying in plain words
what was expected and what was found, never echoing the value itself (it may be huge or
deeply nested).
"""

import math
from collections.abc import Collection
from typing import Any, NoReturn

from backend.common import rle as rle_codec
from backend.exports.formats.base import FormatError, TargetVideo


def describe(value: Any) -> str:
    """A few words on what a JSON value is, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the number {value}" if abs(value) < 10**15 else "a very large number"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class FieldReader:
    """Checked reads of one import file's values; `field` is the path shown to the user,
    such as "masklet_type[2]" or "annotations[3].category_id"."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, field: str, problem: str, **extra: Any) -> NoReturn:
        raise FormatError(
            f"{self.name}: {field} {problem}", extra={"file": self.name, "field": field, **extra}
        )

    def whole(
        self,
        value: Any,
        field: str,
        *,
        minimum: int | None = 0,
        maximum: int | None = None,
        floats: bool = True,
    ) -> int:
        """An integer; with `floats`, also a float with a whole value (SA-V writes 848.0)."""
        integral = isinstance(value, int) or (
            floats and isinstance(value, float) and value.is_integer()
        )
        if isinstance(value, bool) or not integral:
            self.fail(field, f"must be a whole number, not {describe(value)}.")
        number = int(value)
        self._in_range(value, field, minimum, maximum)
        return number

    def number(
        self,
        value: Any,
        field: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"must be a number, not {describe(value)}.")
        number = float(value)
        if not math.isfinite(number):
            self.fail(field, "must be a finite number.")
        self._in_range(value, field, minimum, maximum)
        return number

    def _in_range(
        self, value: float, field: str, minimum: float | None, maximum: float | None
    ) -> None:
        if minimum is not None and value < minimum:
            self.fail(field, f"must be at least {minimum:g}, not {describe(value)}.")
        if maximum is not None and value > maximum:
            self.fail(field, f"must be at most {maximum:g}, not {describe(value)}.")

    def text(
        self,
        value: Any,
        field: str,
        *,
        choices: Collection[str] | None = None,
        max_length: int = 255,
    ) -> str:
        if not isinstance(value, str):
            self.fail(field, f"must be text, not {describe(value)}.")
        if choices is not None and value not in choices:
            allowed = " or ".join(repr(c) for c in choices)
            self.fail(field, f"must be {allowed}, not {describe(value)}.")
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters long.")
        return value

    def array(self, value: Any, field: str, *, length: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            self.fail(field, f"must be a list, not {describe(value)}.")
        if length is not None and len(value) != length:
            self.fail(field, f"must list {length} items, not {len(value)}.", expected=length)
        return value

    def mapping(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, f"must be an object, not {describe(value)}.")
        return value

    def rle(self, value: Any, field: str, *, target: TargetVideo) -> rle_codec.Rle:
        """A compressed COCO RLE (or COCO's uncompressed list form) of the video's size."""
        if isinstance(value, dict) and isinstance(value.get("counts"), list):
            value = self._compress_uncompressed(value, field)
        try:
            return rle_codec.validate(value, height=target.height, width=target.width)
        except rle_codec.RleError as exc:
            raise FormatError(
                f"{self.name}: {field}: {exc}", extra={"file": self.name, "field": field}
            ) from exc

    def _compress_uncompressed(self, value: dict[str, Any], field: str) -> dict[str, Any]:
        from pycocotools import mask as mask_utils

        size, counts = value.get("size"), value["counts"]
        if (
            not isinstance(size, list)
            or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts)
            or sum(counts) != size[0] * size[1]
        ):
            self.fail(field, "is an uncompressed RLE whose counts do not add up to its size.")
        compressed = mask_utils.frPyObjects({"size": size, "counts": counts}, size[0], size[1])
        return {"size": list(size), "counts": compressed["counts"].decode("ascii")}
