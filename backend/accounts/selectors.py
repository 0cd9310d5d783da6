from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import User
from backend.projects.enums import Role
from backend.projects.models import Membership

# Users a lookup answers with at most: it helps type a name, it is not a directory.
LOOKUP_LIMIT = 20


def user_list(*, search: str = "", is_active: bool | None = None) -> QuerySet[User]:
    """Every account, with ``invite_expires_at`` (the open invite link's expiry, or None)."""
    users = User.objects.annotate(
        invite_expires_at=Min(
            "invites__expires_at",
            filter=Q(invites__used_at__isnull=True, invites__expires_at__gt=timezone.now()),
        )
    )
    if search:
        users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return users.order_by("username", "id")


def user_may_look_up(*, user: User) -> bool:
    """Staff, and managers of any project (to add members), may look users up by name."""
    return user.is_staff or Membership.objects.filter(user=user, role=Role.MANAGER).exists()


def user_lookup(*, query: str) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, username__icontains=query)
        .order_by("username", "id")
        .only("id", "username")[:LOOKUP_LIMIT]
    )
