"""The gateway's and the JWKS fetcher's tunables, read from the environment; part of
``config.settings`` (which imports every name here)."""

from config.env import env_bool, env_float, env_int, env_str

# --- The gateway --------------------------------------------------------------------
# How often each gateway process asks the database whether any workspace's settings
# changed (enforcement must propagate within 1 s).
VERITY_CONFIG_POLL_SECONDS = env_float("VERITY_CONFIG_POLL_SECONDS", 0.5, minimum=0.0)
# How often each process pushes its buffered counts to Redis (or the database).
VERITY_COUNT_FLUSH_SECONDS = env_float("VERITY_COUNT_FLUSH_SECONDS", 0.5, minimum=0.0)
# Tests turn the background flusher off and flush by hand.
VERITY_COUNT_FLUSHER = env_bool("VERITY_COUNT_FLUSHER", True)
VERITY_MAX_INSTALLATIONS = env_int("VERITY_MAX_INSTALLATIONS", 1000, minimum=1)
VERITY_VERIFICATION_LOG_CAP = env_int("VERITY_VERIFICATION_LOG_CAP", 1000, minimum=10)
VERITY_JWT_LEEWAY_SECONDS = 30
# How often beat folds the gateway's counts into the database.
VERITY_FOLD_SECONDS = env_float("VERITY_FOLD_SECONDS", 3.0, minimum=0.5)
# Daily counts and verification-log entries older than this are pruned.
VERITY_RETENTION_DAYS = env_int("VERITY_RETENTION_DAYS", 35, minimum=8)
# Gateway rate limits, in requests per second across all gateway processes (0: off).
# Per source address (X-Forwarded-For only through VERITY_TRUSTED_PROXY_COUNT proxies)
# and per workspace; over the limit the answer is 429 with Retry-After.
VERITY_GATEWAY_SOURCE_LIMIT = env_int("VERITY_GATEWAY_SOURCE_LIMIT", 100, minimum=0)
VERITY_GATEWAY_WORKSPACE_LIMIT = env_int("VERITY_GATEWAY_WORKSPACE_LIMIT", 5000, minimum=0)
# Failed hashes diagnosed per second per workspace and process; a flood of bad hashes
# beyond that is logged as "not diagnosed" instead of costing ~150 HMACs each.
VERITY_GATEWAY_DIAGNOSES_PER_SECOND = env_int("VERITY_GATEWAY_DIAGNOSES_PER_SECOND", 5, minimum=0)
# Adds X-Verity-Worker: <pid> to gateway answers, for `make bench` to see every worker
# obey a change. Off in production: it tells callers nothing they need.
VERITY_GATEWAY_WORKER_HEADER = env_bool("VERITY_GATEWAY_WORKER_HEADER", False)

# --- JWKS URLs (security.jwks_fetch) -----------------------------------------------------
# How often beat refetches every JWKS source; a token naming an unknown kid also asks for
# a refetch, at most once a minute per source (security.jwks_refresh).
VERITY_JWKS_REFRESH_SECONDS = env_float("VERITY_JWKS_REFRESH_SECONDS", 300.0, minimum=10.0)
# One fetch: connect + TLS + the whole body within this many seconds.
VERITY_JWKS_TIMEOUT_SECONDS = env_float("VERITY_JWKS_TIMEOUT_SECONDS", 5.0, minimum=0.1)
VERITY_JWKS_MAX_BYTES = env_int("VERITY_JWKS_MAX_BYTES", 64 * 1024, minimum=1024)
VERITY_JWKS_MAX_KEYS = env_int("VERITY_JWKS_MAX_KEYS", 20, minimum=1)
# Tests only: a PEM bundle of the CAs the fetcher trusts instead of the system's (the
# tests' own self-signed server). Leave unset in production.
VERITY_JWKS_CA_BUNDLE = env_str("VERITY_JWKS_CA_BUNDLE") or None
