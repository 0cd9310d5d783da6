from django.db import models


class VideoStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class VideoEnvironment(models.TextChoices):
    """SA-V's video_environment values; a video left blank is unknown."""

    INDOOR = "Indoor", "Indoor"
    OUTDOOR = "Outdoor", "Outdoor"


class VideoSplit(models.TextChoices):
    """The dataset split a video is exported into (SA-V video_split and sav_val/sav_test,
    DAVIS ImageSets/2017, YouTube-VOS train/valid/test folders); blank exports as train."""

    TRAIN = "train", "Train"
    VAL = "val", "Validation"
    TEST = "test", "Test"
