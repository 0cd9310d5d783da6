from django.db import models


class ExportFormat(models.TextChoices):
    # SA-V training layout: one JSON per video and masklet type (manual / auto).
    SAV = "sav", "SA-V (training JSON)"
    # SA-V val/test layout: 24 fps JPEGs and one binary PNG per object and annotated frame.
    SAV_VAL = "sav_val", "SA-V (val/test PNG folders)"
    # DAVIS 2017 / YouTube-VOS: JPEGs and one indexed-palette PNG per annotated frame.
    DAVIS = "davis", "DAVIS 2017 / YouTube-VOS"
    # YouTube-VIS (COCO video) JSON.
    YTVIS = "ytvis", "YouTube-VIS / COCO video"


class ImportFormat(models.TextChoices):
    SAV = "sav", "SA-V JSON"
    DAVIS = "davis", "DAVIS / YouTube-VOS PNG folder (zip)"
    YTVIS = "ytvis", "YouTube-VIS JSON"
