"""Who may do what in a project. Non-members get 404 (a project's existence is private);
members whose role does not allow the operation get 403."""

from collections.abc import Iterable

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.projects.enums import Role
from backend.projects.models import Membership

ANY_ROLE: tuple[str, ...] = tuple(Role.values)
MANAGER_ONLY: tuple[str, ...] = (Role.MANAGER,)


def membership_require(
    *, user: User, project_id: int, roles: Iterable[str] = ANY_ROLE
) -> Membership:
    """The user's membership of the project (its project read with it), or Http404 /
    PermissionDenied."""
    membership = (
        Membership.objects.select_related("project")
        .filter(project_id=project_id, user_id=user.pk)
        .first()
    )
    if membership is None:
        raise Http404("No such project.")
    allowed = tuple(roles)
    if membership.role not in allowed:
        raise PermissionDenied(
            f"Your role in this project ({membership.role}) cannot do this; "
            f"it needs {' or '.join(allowed)}."
        )
    return membership
