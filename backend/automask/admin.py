from django.contrib import admin

from backend.automask.models import AutoKeyFrame, AutoProposal


@admin.register(AutoProposal)
class AutoProposalAdmin(admin.ModelAdmin):
    list_display = ("id", "job", "masklet", "key_frame", "predicted_iou", "stability_score")
    raw_id_fields = ("job", "project", "masklet", "correction_task")


@admin.register(AutoKeyFrame)
class AutoKeyFrameAdmin(admin.ModelAdmin):
    list_display = ("id", "job", "frame_index", "generated", "duplicates", "over_cap")
    raw_id_fields = ("job",)
