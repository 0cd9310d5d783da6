from django.contrib import admin

from backend.quality.models import ActivityRecord, VideoScoreCache


@admin.register(ActivityRecord)
class ActivityRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "project", "video", "seconds", "frame_index", "created_at"]
    list_filter = ["project"]


@admin.register(VideoScoreCache)
class VideoScoreCacheAdmin(admin.ModelAdmin):
    list_display = ["id", "video", "kind", "computed_at"]
    list_filter = ["kind"]
    readonly_fields = ["video", "kind", "key", "data", "computed_at"]
