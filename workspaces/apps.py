from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self):
        # The signal handlers import models: only once the app registry is ready.
        from . import sessions, signals  # noqa: PLC0415

        sessions.connect()
        signals.connect()
