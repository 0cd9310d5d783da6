"""Who may do what in a project. Non-members get 404 (a project's existence is private);
members whose role does not allow the operation get 403."""

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.projects.enums import Role
from backend.projects.models import Membership

ANY_ROLE: tuple[str, ...] = tuple(Role.values)
MANAGER_ONLY: tuple[str, ...] = (Role.MANAGER,)
NOT_A_MEMBER = "No such project."


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
        raise Http404(NOT_A_MEMBER)
    role_require(role=membership.role, roles=roles)
    return membership


def role_require(*, role: str | None, roles: Iterable[str] = ANY_ROLE) -> None:
    """Http404 for a non-member (role None), PermissionDenied for a role not in ``roles``."""
    if role is None:
        raise Http404(NOT_A_MEMBER)
    allowed = tuple(roles)
    if role not in allowed:
        raise PermissionDenied(
            f"Your role in this project ({role}) cannot do this; it needs {' or '.join(allowed)}."
        )


def role_of_user(user: User) -> Subquery:
    """The user's role in the row's project (its ``project_id``; None if not a member), to
    annotate a query with: its rows and the caller's access in one round trip."""
    memberships = Membership.objects.filter(project_id=OuterRef("project_id"), user_id=user.pk)
    return Subquery(memberships.values("role")[:1])
