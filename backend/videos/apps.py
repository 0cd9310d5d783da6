from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "backend.videos"
    label = "videos"

    def ready(self) -> None:
        # The ingest job kind, and its task (eager runs in tests find it registered).
        from backend.videos import ingest, tasks  # noqa: F401
