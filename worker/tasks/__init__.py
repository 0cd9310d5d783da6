from worker.tasks import automask, segmentation  # noqa: F401 -- registers the tasks
