from django.contrib import admin

from backend.reviews.models import MaskletStatusChange, Review, ReviewAssignment, ReviewComment


@admin.register(MaskletStatusChange)
class MaskletStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "from_status", "to_status", "action", "actor", "override"]
    list_filter = ["action", "override"]
    list_select_related = ["masklet", "actor"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "reviewer", "round", "verdict", "created_at"]
    list_filter = ["verdict"]
    list_select_related = ["masklet", "reviewer"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "author", "frame_index", "resolved", "created_at"]
    list_filter = ["resolved"]
    list_select_related = ["masklet", "author"]


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "reviewer", "round", "status", "claimed_at", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["masklet", "reviewer"]
