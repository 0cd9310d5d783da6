from django.db import models


class Verdict(models.TextChoices):
    SATISFACTORY = "satisfactory", "Satisfactory"
    UNSATISFACTORY = "unsatisfactory", "Unsatisfactory"


class StatusAction(models.TextChoices):
    """Why a masklet's status changed (one row of its history)."""

    SUBMITTED = "submitted", "Submitted"
    # Submitted again after a rejection (review_round > 1).
    RESUBMITTED = "resubmitted", "Resubmitted"
    # The annotator's first mask change after a rejection.
    REWORKED = "reworked", "Reworked"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    # A manager sent the masklet back to draft (always an override).
    REOPENED = "reopened", "Reopened"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # The reviewer gave a verdict.
    DONE = "done", "Done"
    # The reviewer (or a manager) gave it back, or the masklet left review meanwhile.
    RELEASED = "released", "Released"
    # The lease ran out; the next claim frees the masklet for another reviewer.
    EXPIRED = "expired", "Expired"
