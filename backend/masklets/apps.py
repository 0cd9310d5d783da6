from django.apps import AppConfig


class MaskletsConfig(AppConfig):
    name = "backend.masklets"
    label = "masklets"
