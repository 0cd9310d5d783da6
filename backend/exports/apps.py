from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "backend.exports"
    label = "exports"

    def ready(self) -> None:
        # The job kind, and its task (eager runs in tests find it registered).
        from backend.exports import services, tasks  # noqa: F401
