from worker.tasks import segmentation  # noqa: F401 -- registers the tasks
