from django.db import models


class ExportFormat(models.TextChoices):
    # SA-V training layout: one JSON per video and masklet type (manual / auto), frames at
    # 24 fps, masks on every 4th of them (6 fps), whatever the project's frame step.
    SAV = "sav", "SA-V (training JSON)"
    # SA-V val/test layout: 24 fps JPEGs and one binary PNG per object and 6 fps frame.
    SAV_VAL = "sav_val", "SA-V (val/test PNG folders)"
    # DAVIS 2017: JPEGImages/480p, Annotations/480p (palette PNGs), ImageSets/2017.
    DAVIS = "davis", "DAVIS 2017"
    # YouTube-VOS: {train,valid,test}/JPEGImages, Annotations (palette PNGs), meta.json.
    YTVOS = "ytvos", "YouTube-VOS"
    # YouTube-VIS (COCO video) JSON.
    YTVIS = "ytvis", "YouTube-VIS / COCO video"


class ImportFormat(models.TextChoices):
    SAV = "sav", "SA-V training JSON"
    SAV_VAL = "sav_val", "SA-V val/test PNG folders (zip)"
    # DAVIS 2017 and YouTube-VOS share one reader: palette PNG folders in a zip.
    DAVIS = "davis", "DAVIS 2017 palette PNG folders (zip)"
    YTVOS = "ytvos", "YouTube-VOS palette PNG folders and meta.json (zip)"
    YTVIS = "ytvis", "YouTube-VIS JSON"
