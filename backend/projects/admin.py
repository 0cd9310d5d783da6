from django.contrib import admin

from backend.projects.models import Label, Membership, Project, Task


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "frame_step",
        "verifications_required",
        "consensus_k",
        "created_at",
    ]
    search_fields = ["name"]
    inlines = [MembershipInline, LabelInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "user", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "project__name"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "name", "color"]
    search_fields = ["name"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "video", "assignee", "stage", "frame_start", "frame_end"]
    list_filter = ["stage"]
