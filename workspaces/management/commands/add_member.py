from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import add_member
from workspaces.models import Role, Workspace


class Command(BaseCommand):
    help = "Give USERNAME a ROLE (admin, developer, viewer) in the workspace APP_ID."

    def add_arguments(self, parser):
        parser.add_argument("app_id")
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)

    def handle(self, *args, app_id, username, role, **options):
        workspace = Workspace.objects.filter(app_id=app_id).first()
        if workspace is None:
            raise CommandError(f"No workspace with app_id {app_id!r}.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        add_member(workspace, user, role)
        self.stdout.write(f"{username} is now {role} of {workspace.display_name} ({app_id}).")
