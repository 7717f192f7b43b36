from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"

    def ready(self):
        # Registers the master-key system check; it imports models, so only once they exist.
        from . import checks  # noqa: F401, PLC0415
