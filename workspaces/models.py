import hashlib
import json
import secrets
import string
from datetime import UTC

from django.conf import settings
from django.db import models

APP_ID_ALPHABET = string.ascii_lowercase + string.digits
APP_ID_LENGTH = 8


def new_app_id():
    return "".join(secrets.choice(APP_ID_ALPHABET) for _ in range(APP_ID_LENGTH))


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"


SUPPORT_GROUP = "support"
# The role recorded on audit events of support staff, who are not members.
SUPPORT_ROLE = "support"


class Workspace(models.Model):
    """A customer account, known publicly by its app_id."""

    app_id = models.CharField(max_length=APP_ID_LENGTH, unique=True, default=new_app_id)
    name = models.CharField(max_length=200)
    is_test = models.BooleanField(default=False)
    # Set on a test workspace: the production workspace it belongs to.
    production = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="test_workspace",
    )
    # The ConfigGeneration value of the last change that the gateway must obey.
    config_version = models.BigIntegerField(default=0, db_index=True)
    # The web origins the gateway saw, written by installcheck after each fold (a lower
    # app may not ask a higher one): {"computed_at", "origins": [{name, last_seen,
    # requests}]}. Adding the first trusted domain is confirmed against it.
    web_origins_seen = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "app_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_test=False, production__isnull=True) | models.Q(is_test=True),
                name="only_test_workspaces_have_production",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return f"[TEST] {self.name}" if self.is_test else self.name

    @property
    def roster_id(self):
        """The id of the workspace whose member list this one uses: a [TEST] twin shares
        its production workspace's (one list, so the two cannot drift apart)."""
        return self.production_id if self.is_test and self.production_id else self.pk

    @property
    def twin(self):
        """The linked test workspace of a production one, or the reverse."""
        if self.is_test:
            return self.production
        try:
            return self.test_workspace
        except Workspace.DoesNotExist:
            return None


class Membership(models.Model):
    """A user's role in a production workspace and its [TEST] twin (memberships are only
    ever stored on the production side: ``Workspace.roster_id``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user"),
        ]

    def __str__(self):
        return f"{self.user} is {self.role} of {self.workspace}"


class InvitationState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """An emailed, single-use invitation to join a workspace (and its twin) with a role.

    Only the SHA-256 digest of the link's token is stored (256 random bits, so an unsalted
    digest cannot be reversed by guessing); resending replaces it, so the older link stops
    working. Expired is not a state of its own: ``expires_at`` has passed."""

    # Always the production workspace (the one whose member list it joins).
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    state = models.CharField(
        max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    # Empty until the mail task makes the token (in the worker: it never sits in the broker).
    digest = models.CharField(max_length=64, blank=True, default="")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    times_sent = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(state="pending"),
                name="one_pending_invitation_per_email",
            ),
        ]

    def __str__(self):
        return f"invitation of {self.email} to {self.workspace} as {self.role} ({self.state})"

    @staticmethod
    def digest_of(token):
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def new_token(self):
        """A fresh token for this invitation's link; only its digest is kept (the caller
        saves it), so the link emailed before stops working."""
        token = secrets.token_urlsafe(32)
        self.digest = self.digest_of(token)
        return token


class TrustedDomain(models.Model):
    """A host (or *.suffix) from which web messenger requests are accepted."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="trusted_domains"
    )
    # Normalised: lower case, IDNA (punycode) labels, optional leading "*.".
    domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "domain"], name="unique_trusted_domain"),
        ]

    def __str__(self):
        return self.domain


class ConfigGeneration(models.Model):
    """A single-row counter bumped by every change the gateway must obey."""

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"generation {self.value}"


# The prev_hash of the first audit event.
GENESIS_HASH = "0" * 64


def audit_chain_hash(event):
    """SHA-256 (hex) of an audit event's content and its predecessor's hash.

    Reads attributes only, so the migration that chained the existing rows uses it too.
    Changing it breaks every chain already written.
    """
    content = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "workspace": event.workspace_id,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "action": event.action,
        "target": event.target,
        "before": event.before,
        "after": event.after,
        "ip": None if event.ip is None else str(event.ip),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class AuditEvent(models.Model):
    """One append-only record of who changed, revealed or was refused what, when and from
    where; chained by hash so that an edit, a deletion or an insertion shows."""

    # PROTECT, not CASCADE / SET_NULL: deleting a workspace or a user must not rewrite or
    # remove audit rows (it would break the chain). Users are deactivated, not deleted.
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # Kept even if the user is renamed later.
    actor_label = models.CharField(max_length=150, blank=True)
    # The actor's role in the workspace at the time: a Role, SUPPORT_ROLE, or "" for none.
    role = models.CharField(max_length=16, blank=True, default="")
    # Refusals are actions of their own: access.refused, login.failed, secret.reveal_refused.
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The chain: set right after the event's transaction commits (workspaces.actions.
    # chain_audit_events); null while the event waits for it.
    seq = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"


class AuditHead(models.Model):
    """The single row holding the audit chain's last sequence number and hash; its row lock
    puts appends to the chain in one order."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"audit head {self.seq} {self.hash[:12]}"


class ApiToken(models.Model):
    """A user's API token (``Authorization: Token <key>``), stored only as the SHA-256
    digest of its key: the key itself is shown once, when it is issued, and a database
    dump holds nothing that authenticates. Keys are 256 random bits, so an unsalted
    digest cannot be reversed by guessing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    digest = models.CharField(max_length=64, unique=True)
    # The key's last characters, to tell tokens apart on the profile page.
    last4 = models.CharField(max_length=4)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"API token of {self.user} ending {self.last4}"

    @staticmethod
    def digest_of(key):
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user):
        """Replace ``user``'s token by a new one; returns (token, key). The key is not
        stored: the caller shows it once."""
        key = secrets.token_urlsafe(32)
        cls.objects.filter(user=user).delete()
        token = cls.objects.create(user=user, digest=cls.digest_of(key), last4=key[-4:])
        return token, key
