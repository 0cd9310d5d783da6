from django.db import models


class LoginFailureScope(models.TextChoices):
    ACCOUNT = "account", "Account"
    ADDRESS = "address", "Address"
