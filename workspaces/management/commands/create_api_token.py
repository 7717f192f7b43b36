from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workspaces.actions import record_audit
from workspaces.models import ApiToken


class Command(BaseCommand):
    help = (
        "Issue a new API token for USERNAME (replacing any previous one) and print it. "
        "Only its digest is stored: copy it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated.")
        had_token = ApiToken.objects.filter(user=user).exists()
        _, key = ApiToken.issue(user)
        record_audit("api_token.regenerated" if had_token else "api_token.created", target=username)
        self.stdout.write(key)
