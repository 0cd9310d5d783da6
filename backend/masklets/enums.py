from django.db import models


class MaskletSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    AUTO = "auto", "Automatic"


class MaskletStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    # Rejected, then changed by its annotator; submitting it again makes it "submitted".
    REWORKED = "reworked", "Reworked"


class FrameOrigin(models.TextChoices):
    CLICK = "click", "Click"
    PROPAGATED = "propagated", "Propagated"
    EDITED = "edited", "Edited"
    IMPORTED = "imported", "Imported"


class Direction(models.TextChoices):
    FORWARD = "forward", "Forward"
    BACKWARD = "backward", "Backward"
    BOTH = "both", "Both"
