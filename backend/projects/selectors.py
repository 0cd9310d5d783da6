from django.db.models import OuterRef, QuerySet, Subquery

from backend.accounts.models import User
from backend.projects.models import Label, Membership, Project, Task
from backend.projects.permissions import ANY_ROLE, membership_require


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    return Project.objects.filter(memberships__user_id=user.pk).annotate(my_role=Subquery(role))


def project_get_for_user(*, user: User, project_id: int, roles=ANY_ROLE) -> Project:
    membership = membership_require(user=user, project_id=project_id, roles=roles)
    project = Project.objects.get(pk=project_id)
    project.my_role = membership.role  # type: ignore[attr-defined]
    return project


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user")


def label_list(*, project: Project) -> QuerySet[Label]:
    return Label.objects.filter(project=project)


def task_list(*, project: Project) -> QuerySet[Task]:
    return Task.objects.filter(project=project).select_related("assignee")
