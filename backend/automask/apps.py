from django.apps import AppConfig


class AutomaskConfig(AppConfig):
    name = "backend.automask"
    label = "automask"

    def ready(self) -> None:
        from backend.automask import jobs  # noqa: F401 -- registers the job kind
