from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self):
        from . import sessions, signals

        sessions.connect()
        signals.connect()
