from django.core.management.base import BaseCommand

from workspaces.actions import grant_support

from ._users import user_named


class Command(BaseCommand):
    help = "Add USERNAME to the support group (vendor support staff)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = user_named(username)
        grant_support(user)
        self.stdout.write(f"{username} is now support staff.")
