from django.contrib import admin

from backend.videos.models import Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "project",
        "status",
        "width",
        "height",
        "fps",
        "frame_count",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "checksum"]
    readonly_fields = ["checksum", "size_bytes", "file", "frames_prefix"]
