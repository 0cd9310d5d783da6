"""The JSON parser of every API view: a size limit and a nesting limit, both checked before
`json` builds a single object, so a hostile body costs neither memory nor a 500."""

import json
import re
from typing import Any

import numpy as np
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from backend.api.errors import RequestBodyTooLarge

# The deepest request the API takes is 5 levels (frames -> frame -> rle -> size); a JSON
# document nested deeper than this is refused.
MAX_JSON_DEPTH = 32

# A JSON string literal, escapes included: brackets inside strings do not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# "[" and "{" -> +1, "]" and "}" -> -1 (as int8), so that a cumulative sum is the depth.
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
# Brackets summed per numpy call: bounds the temporary arrays to a few MB.
_CHUNK = 1 << 20


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (an upper bound for a
    malformed one)."""
    opened = raw.count(b"[") + raw.count(b"{")
    if opened <= MAX_JSON_DEPTH:
        return opened  # cannot nest deeper than it opens
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    steps = np.frombuffer(brackets.translate(_STEPS), np.int8)
    depth = deepest = 0
    for start in range(0, len(steps), _CHUNK):
        running = np.cumsum(steps[start : start + _CHUNK], dtype=np.int64) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
    return deepest


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 past it)
    and MAX_JSON_DEPTH levels of nesting (400)."""

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestBodyTooLarge(limit)
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            text = raw.decode(encoding)
            if api_settings.STRICT_JSON:
                return json.loads(text, parse_constant=_no_constants)
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
