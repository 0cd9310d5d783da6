from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"


class TaskStage(models.TextChoices):
    ANNOTATION = "annotation", "Annotation"
    REVIEW = "review", "Review"
    DONE = "done", "Done"
