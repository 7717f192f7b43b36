from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"

    def ready(self):
        from . import checks  # noqa: F401  (registers the master-key system check)
