from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import grant_support


class Command(BaseCommand):
    help = "Add USERNAME to the support group (vendor support staff)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        grant_support(user)
        self.stdout.write(f"{username} is now support staff.")
