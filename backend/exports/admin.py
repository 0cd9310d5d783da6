from django.contrib import admin

from backend.exports.models import ExportJob, ImportedMasklet


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "format", "status", "progress", "created_by", "created_at")
    list_filter = ("format", "status")
    raw_id_fields = ("project", "created_by")
    readonly_fields = ("file", "size_bytes", "started_at", "finished_at", "error")


@admin.register(ImportedMasklet)
class ImportedMaskletAdmin(admin.ModelAdmin):
    list_display = ("id", "masklet", "format", "file_name", "source_object_id", "created_at")
    list_filter = ("format",)
    raw_id_fields = ("masklet", "created_by")
