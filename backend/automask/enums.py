from django.db import models


class KeyFrameMode(models.TextChoices):
    """Which frames the generator prompts with its grid of points."""

    FIRST = "first", "The first frame"
    # One key frame every N seconds of video, starting at frame 0.
    EVERY = "every", "Every N seconds"
    LISTED = "listed", "Listed frames"
