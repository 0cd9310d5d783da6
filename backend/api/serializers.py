"""DRF's serializers module, with JSON input typed as the schema says.

Use it as `from backend.api import serializers`. DRF coerces JSON values of the wrong type
(`"name": 0` becomes "0", `"include_unaccepted": "yes"` becomes true, `"version": "3"` becomes
3); a client generated from the OpenAPI schema never sends those, and one that does has a bug
it should hear about. These fields refuse them with the usual 400. Query strings and multipart
forms carry only strings, so there the fields parse as DRF does.
"""

from typing import Any

from django.http import QueryDict
from rest_framework import serializers as _drf
from rest_framework.serializers import *  # noqa: F403 -- DRF's public serializer API, re-exported


def _from_json(field: _drf.Field) -> bool:
    return not isinstance(getattr(field.root, "initial_data", None), QueryDict)


class CharField(_drf.CharField):
    def to_internal_value(self, data: Any) -> str:
        if _from_json(self) and not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegexField(CharField, _drf.RegexField):
    pass


class BooleanField(_drf.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if _from_json(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class IntegerField(_drf.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if _from_json(self) and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("invalid")
        return super().to_internal_value(data)


class FloatField(_drf.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if _from_json(self) and (isinstance(data, bool) or not isinstance(data, int | float)):
            self.fail("invalid")
        return super().to_internal_value(data)
