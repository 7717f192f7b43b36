from django.apps import AppConfig


class InstallcheckConfig(AppConfig):
    name = "installcheck"
