from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import deactivate_user

from ._users import user_named


class Command(BaseCommand):
    help = "Deactivate USERNAME: no more logins; their sessions and API token end at once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = user_named(username)
        if not user.is_active:
            raise CommandError(f"{username} is already deactivated.")
        deactivate_user(user)
        self.stdout.write(f"{username} is deactivated; their sessions and API token ended.")
