from django.db import models


class ScoreKind(models.TextChoices):
    CONSENSUS = "consensus", "Consensus agreement"
    GROUND_TRUTH = "ground_truth", "Ground-truth scores"
