from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import deactivate_user


class Command(BaseCommand):
    help = "Deactivate USERNAME: no more logins; their sessions and API token end at once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is already deactivated.")
        deactivate_user(user)
        self.stdout.write(f"{username} is deactivated; their sessions and API token ended.")
