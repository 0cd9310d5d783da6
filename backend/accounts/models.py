from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from backend.accounts.enums import LoginFailureScope
from backend.common.models import BaseModel


class User(AbstractUser):
    """Custom from day one so that fields can be added without a painful migration."""

    def __str__(self) -> str:
        return self.username


class Invite(BaseModel):
    """A one-time link that lets a new user choose their password. Only the SHA-256 of the
    link's token is stored: the token is shown once, to the staff user who made it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    # Set when the link was used, or when a newer link or a password set by staff replaced it.
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="invite_token_hash_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"Invite {self.pk} for {self.user_id}"


class LoginFailureCounter(BaseModel):
    """Failed logins for one username or from one address within a window, shared by every web
    process (backend/accounts/throttling.py). A row goes once its window and lockout are over."""

    scope = models.CharField(max_length=16, choices=LoginFailureScope.choices)
    # The username as tried (case-folded), or the client's IP address.
    key = models.CharField(max_length=255)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    # Logins for this key are refused (429) until then.
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="loginfailure_unique_scope_key"),
            models.CheckConstraint(
                condition=Q(scope__in=LoginFailureScope.values), name="loginfailure_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
