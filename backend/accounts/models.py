from django.contrib.auth.models import AbstractUser
from django.db import models

from backend.accounts.enums import LoginFailureScope
from backend.common.models import BaseModel


class User(AbstractUser):
    """Custom from day one so that fields can be added without a painful migration."""

    def __str__(self) -> str:
        return self.username


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
                condition=models.Q(scope__in=LoginFailureScope.values),
                name="loginfailure_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
