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


class StopReason(models.TextChoices):
    """Why an `until_agreement` propagation stopped tracking an object."""

    AGREEMENT = "agreement", "Masks agree again with the stored ones"
    PERSON_MADE = "person_made", "Next frame is one a person made"
    END = "end", "End of the frame range"


class ActionKind(models.TextChoices):
    """What one entry of a video's SAM 2 action log did to the video's SAM 2 state."""

    # Points and/or a box on one frame of one object (SAM 2's add_new_points_or_box).
    PROMPT = "prompt", "Prompt"
    # A mask given as a prompt (SAM 2's add_new_mask): a brush/eraser edit, or the start mask
    # of a masklet without clicks (an imported masklet) when it is first propagated.
    MASK = "mask", "Mask"
    # Frames frame_index .. frame_last tracked one by one (forward, or in reverse).
    PROPAGATE = "propagate", "Propagate"
    # An earlier prompt or mask of the object taken back, as if it had never happened.
    UNDO = "undo", "Undo"
    # The object is gone from the state (its masklet was deleted).
    REMOVE = "remove", "Remove"


class ActionState(models.TextChoices):
    # Part of the log, not applied by a worker yet.
    PENDING = "pending", "Pending"
    # Applied by the worker holding the video's state (propagation entries are born so).
    APPLIED = "applied", "Applied"
    # Given up by the web process before any worker applied it: never part of the state.
    ABANDONED = "abandoned", "Abandoned"
    # Taken back by a later UNDO entry: never part of the state.
    UNDONE = "undone", "Undone"
