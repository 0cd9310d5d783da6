from django.urls import path

from backend.projects import apis

app_name = "projects"
urlpatterns = [
    path("projects/", apis.ProjectListApi.as_view(), name="list"),
    path("projects/create/", apis.ProjectCreateApi.as_view(), name="create"),
    path("projects/<int:project_id>/", apis.ProjectDetailApi.as_view(), name="detail"),
    path("projects/<int:project_id>/update/", apis.ProjectUpdateApi.as_view(), name="update"),
    path("projects/<int:project_id>/members/", apis.MembershipListApi.as_view(), name="members"),
    path(
        "projects/<int:project_id>/members/add/", apis.MembershipAddApi.as_view(), name="member-add"
    ),
    path("members/<int:membership_id>/", apis.MembershipDetailApi.as_view(), name="member"),
    path("projects/<int:project_id>/labels/", apis.LabelListApi.as_view(), name="labels"),
    path(
        "projects/<int:project_id>/labels/create/",
        apis.LabelCreateApi.as_view(),
        name="label-create",
    ),
    path(
        "projects/<int:project_id>/labels/reorder/",
        apis.LabelReorderApi.as_view(),
        name="label-reorder",
    ),
    path("labels/<int:label_id>/", apis.LabelDetailApi.as_view(), name="label"),
    path("projects/<int:project_id>/tasks/", apis.TaskListApi.as_view(), name="tasks"),
    path(
        "projects/<int:project_id>/tasks/create/", apis.TaskCreateApi.as_view(), name="task-create"
    ),
    path("projects/<int:project_id>/tasks/split/", apis.TaskSplitApi.as_view(), name="task-split"),
    path(
        "projects/<int:project_id>/tasks/assign/",
        apis.TaskAssignApi.as_view(),
        name="task-assign",
    ),
    path("tasks/<int:task_id>/", apis.TaskDetailApi.as_view(), name="task"),
]
