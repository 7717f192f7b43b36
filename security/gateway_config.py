"""What the gateway decides with (security.gateway): a workspace's settings, decrypted,
as one immutable snapshot (security.snapshots builds them)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import hashing, tokens, versions


@dataclass(frozen=True)
class SecretCandidate:
    reference: str
    secret: str
    valid_until: datetime | None = None
    # The secret's keyed HMAC, made once per snapshot (hashing.keyed).
    mac: object = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "mac", hashing.keyed(self.secret))

    def usable_at(self, now):
        return self.valid_until is None or self.valid_until > now


@dataclass(frozen=True)
class VersionPolicy:
    """Enforcement by app version: versions below ``minimum`` are served with a warning
    until ``sunset_at`` (never, when None); a version that does not parse is enforced."""

    minimum: str
    sunset_at: datetime | None = None
    minimum_key: tuple = field(init=False, repr=False, compare=False)
    # As the API writes it (2027-03-01T00:00:00Z), made once per snapshot.
    sunset_text: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        key = versions.parse(self.minimum)
        if key is None:
            raise ValueError(f"not a version: {self.minimum!r}")
        object.__setattr__(self, "minimum_key", key)
        sunset = self.sunset_at
        text = None
        if sunset is not None:
            text = sunset.astimezone(UTC).isoformat().replace("+00:00", "Z")
        object.__setattr__(self, "sunset_text", text)

    def spares(self, app_version, now):
        """Whether an unproven request from ``app_version`` is served rather than refused."""
        if self.sunset_at is not None and now >= self.sunset_at:
            return False
        return versions.is_below(app_version, self.minimum_key)


@dataclass(frozen=True)
class PlatformConfig:
    enforced: bool = False
    hmac_allowed: bool = True
    secrets: tuple[SecretCandidate, ...] = ()
    # None: every version is enforced (when the platform enforces), as before issue 19.
    version_policy: VersionPolicy | None = None


@dataclass(frozen=True)
class WorkspaceConfig:
    """Everything the gateway needs to decide for one workspace, decrypted."""

    workspace_id: int
    app_id: str
    platforms: Mapping[str, PlatformConfig]
    jwt_keys: tuple[tokens.KeyCandidate, ...] = ()
    trusted_domains: tuple[str, ...] = ()
    version: int = 0
    # The workspace's JWKS URLs (security.jwks.SourceState): which to refetch when a token
    # names an unknown kid, and what the diagnosis says about them.
    jwks_sources: tuple = ()
    # Called only to diagnose an invalid_user_hash (security.gateway_diagnosis):
    # returns the retired and twin secrets, loaded once per snapshot on first failure, so
    # the success path never pays for them.
    diagnosis_extras: Callable[[], object] | None = field(default=None, compare=False, repr=False)
