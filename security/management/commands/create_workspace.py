from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from security.actions.secrets import create_workspace
from workspaces.actions import add_member
from workspaces.models import Role


class Command(BaseCommand):
    help = "Create a workspace (with its [TEST] twin) and print its app_id."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", help="username of an existing user to make admin")
        parser.add_argument("--no-test-twin", action="store_true")

    def handle(self, *args, name, admin, no_test_twin, **options):
        user = None
        if admin:
            user = get_user_model().objects.filter(username=admin).first()
            if user is None:
                raise CommandError(f"No user named {admin!r}.")
        try:
            workspace = create_workspace(name, with_test_twin=not no_test_twin)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if user is not None:
            add_member(workspace, user, Role.ADMIN)  # of the twin too: one member list
        self.stdout.write(workspace.app_id)
