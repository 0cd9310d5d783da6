from django.contrib import admin

from backend.masklets.models import Masklet, MaskletFrame, Prompt


@admin.register(Masklet)
class MaskletAdmin(admin.ModelAdmin):
    list_display = ["id", "video", "name", "label", "source", "status", "version"]
    list_filter = ["status", "source"]


@admin.register(MaskletFrame)
class MaskletFrameAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "frame_index", "origin", "area", "score"]
    list_filter = ["origin"]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["id", "masklet", "frame_index", "order", "author", "created_at"]
