from django.contrib import admin

from backend.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "project", "video", "status", "attempts", "worker", "created_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("project", "video", "created_by")
    readonly_fields = ("heartbeat_at", "enqueued_at", "started_at", "finished_at", "error")
