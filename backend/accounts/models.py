from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Custom from day one so that fields can be added without a painful migration."""

    def __str__(self) -> str:
        return self.username
