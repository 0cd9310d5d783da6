from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    """Names components of nested serializers after their API (`MaskletCreateApiInput`),
    so that the many `InputSerializer`s of conventions §2 stay distinct in the schema."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):  # type: ignore[no-untyped-def]
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            name = outer + name
        return name
