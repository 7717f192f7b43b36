from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import issue_api_token

from ._users import user_named


class Command(BaseCommand):
    help = (
        "Issue a new API token for USERNAME (replacing any previous one) and print it. "
        "Only its digest is stored: copy it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = user_named(username)
        if not user.is_active:
            raise CommandError(f"{username} is deactivated.")
        _, key = issue_api_token(user, actor=None)
        self.stdout.write(key)
