from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

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
