from django.contrib import admin

from backend.exports.models import ImportedMasklet


@admin.register(ImportedMasklet)
class ImportedMaskletAdmin(admin.ModelAdmin):
    list_display = ("id", "masklet", "format", "file_name", "source_object_id", "created_at")
    list_filter = ("format",)
    raw_id_fields = ("masklet", "created_by")
