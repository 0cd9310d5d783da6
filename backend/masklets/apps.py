from django.apps import AppConfig


class MaskletsConfig(AppConfig):
    name = "backend.masklets"
    label = "masklets"

    def ready(self) -> None:
        from backend.masklets import propagation  # noqa: F401 -- registers the job kind
