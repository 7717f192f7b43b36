"""Re-encrypt every stored secret, messenger key and authenticator-app seed under the
first master key.

Rotation of VERITY_ENCRYPTION_KEYS: (1) prepend a new key to the list and restart,
(2) run this command, (3) drop the old key from the list and restart. Running it twice is
harmless: MultiFernet re-encrypts with the same primary key.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from security import crypto
from security.models import AuthenticatorApp, IdentitySecret, MessengerKey


class Command(BaseCommand):
    help = "Re-encrypt every identity secret and messenger key with the newest master key."

    def handle(self, *args, **options):
        counts = {}
        try:
            with transaction.atomic():
                for model in (IdentitySecret, MessengerKey, AuthenticatorApp):
                    # Public messenger keys have no ciphertext: nothing to re-encrypt.
                    encrypted = model.objects.exclude(ciphertext="")
                    rows = list(encrypted.select_for_update().only("pk", "ciphertext"))
                    for row in rows:
                        row.ciphertext = crypto.reencrypt(row.ciphertext)
                    model.objects.bulk_update(rows, ["ciphertext"], batch_size=500)
                    counts[model.__name__] = len(rows)
        except crypto.SecretUnreadable as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        self.stdout.write(
            f"Re-encrypted {counts['IdentitySecret']} identity secrets and "
            f"{counts['MessengerKey']} messenger keys and {counts['AuthenticatorApp']} "
            "authenticator-app seeds with the first key of "
            "VERITY_ENCRYPTION_KEYS. You may now remove the old key from the list."
        )
