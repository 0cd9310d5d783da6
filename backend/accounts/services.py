"""User accounts as staff manage them in the app: create, invite, set a password, deactivate."""

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from backend.accounts.models import Invite, User
from backend.common.exceptions import ApplicationError, ConflictError

USER_FIELDS = ("email", "first_name", "last_name", "is_staff", "is_active")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str, user: User) -> None:
    """Django's password validators (length, common, numeric, like the username), as a 400."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from exc


def _end_invites(user: User) -> None:
    Invite.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    email: str = "",
    is_staff: bool = False,
    password: str | None = None,
) -> User:
    """A new active account. Without a password it cannot log in until it gets one (set by
    staff, or chosen through an invite link)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ConflictError(
            f"There is already a user named {username!r}.", extra={"field": "username"}
        )
    user = User(username=username, email=email, is_staff=is_staff)
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """Staff may not lock themselves out (deactivate or un-staff their own account)."""
    if user.pk == actor.pk and (data.get("is_active") is False or data.get("is_staff") is False):
        raise ApplicationError(
            "You cannot deactivate your own account or take away your own staff access; "
            "ask another staff user.",
        )
    changed = [
        field for field in USER_FIELDS if field in data and getattr(user, field) != data[field]
    ]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=changed)
    if data.get("is_active") is False:
        _end_invites(user)
    return user


@transaction.atomic
def user_password_set(*, actor: User, user: User, password: str) -> User:
    """Sets the password staff chose; pending invite links of the user stop working."""
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_invites(user)
    return user


@transaction.atomic
def invite_create(*, actor: User, user: User) -> tuple[Invite, str]:
    """A new one-time link for the user (earlier unused ones stop working). Returns the invite
    and its token, which is not stored and cannot be shown again."""
    if not user.is_active:
        raise ApplicationError(f"{user.username} is deactivated; activate the account first.")
    _end_invites(user)
    token = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        user=user,
        token_hash=token_hash(token),
        expires_at=timezone.now() + datetime.timedelta(hours=settings.INVITE_VALID_HOURS),
        created_by=actor,
    )
    return invite, token


def invite_check(*, token: str, lock: bool = False) -> Invite:
    """The invite of a token if it can still be used, else 404 (unknown) or 410 (used,
    replaced, expired or its user deactivated), each said in words."""
    queryset = Invite.objects.select_related("user")
    if lock:
        queryset = queryset.select_for_update()
    invite = queryset.filter(token_hash=token_hash(token)).first()
    if invite is None:
        raise ApplicationError(
            "This invite link is not valid. Check that the whole link was copied.", status=404
        )
    if invite.used_at is not None:
        raise ApplicationError(
            "This invite link was already used or replaced by a newer one. Log in, or ask "
            "for a new link.",
            status=410,
        )
    if invite.expires_at <= timezone.now():
        raise ApplicationError(
            "This invite link has expired. Ask for a new one.",
            extra={"expired_at": invite.expires_at.isoformat()},
            status=410,
        )
    if not invite.user.is_active:
        raise ApplicationError("This account is deactivated.", status=410)
    return invite


@transaction.atomic
def invite_accept(*, token: str, password: str) -> User:
    """The invited user's chosen password; the link cannot be used again."""
    invite = invite_check(token=token, lock=True)
    user = invite.user
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_invites(user)
    return user
