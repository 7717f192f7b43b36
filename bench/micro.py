"""`python -m bench.micro`: what each change to the gateway's hot path bought, each old
way timed against the new one in one process (CPU time, medians of 5 runs), so that a
shared machine moves both sides alike. The old ways are copied here as they were before
issue 18; nothing in the product calls them."""

import hashlib
import hmac
import json
import statistics
import time
from collections import Counter, deque
from dataclasses import dataclass


def cpu_us(fn, n=20_000, runs=5):
    times = []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(n):
            fn()
        times.append((time.process_time() - started) / n * 1e6)
    return statistics.median(times)


@dataclass(frozen=True)
class OldCountKey:
    workspace_id: int
    platform: str
    installation: str
    outcome: str
    code: str = ""
    proof: str = ""
    app_version: str = ""
    day: str = ""


def pyjwt_rows():
    """Where a token new to the process goes in PyJWT (no before/after: one column)."""
    import jwt
    from jwt.api_jws import PyJWS

    key = "k" * 40
    now = int(time.time())
    claims = {"user_id": "user-12345", "iat": now, "exp": now + 86_400, "jti": "cold-1"}
    token = jwt.encode(claims, key, algorithm="HS256", headers={"kid": "mk_0123456789abcdef"})
    options = {"verify_aud": False, "verify_iss": False, "verify_sub": False}
    segments = [part.encode() for part in token.split(".")]

    def checks():
        for segment in segments:
            PyJWS._decode_base64url_segment(segment, "segment")

    return [
        (
            "PyJWT get_unverified_header (cold token)",
            0.0,
            cpu_us(lambda: jwt.get_unverified_header(token)),
        ),
        (
            "PyJWT decode HS256 (cold token)",
            0.0,
            cpu_us(lambda: jwt.decode(token, key.encode(), algorithms=["HS256"], options=options)),
        ),
        ("  of which its base64 checks of 3 segments", 0.0, cpu_us(checks)),
    ]


def main():
    from bench.setup import setup_django

    setup_django()
    from django.conf import settings

    from installcheck import counting, ping
    from installcheck.ping_state import conf, days
    from security import gateway

    rows = []
    body = json.dumps(
        {"app_id": "app_0123456789abcdef", "platform": "web", "app_version": "5.2.0",
         "user_id": "user-12345", "user_hash": "a" * 64}
    ).encode()  # fmt: skip

    def old_parse():
        # parse_ping before issue 18, as it was (its error branches left out: unused here).
        data = gateway._DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
        values, errors = {}, {}
        for name, (max_length, required) in gateway.PING_FIELDS.items():
            value = data.get(name)
            if value is None:
                if required:
                    errors[name] = "This field is required."
                continue
            if not isinstance(value, str):
                errors[name] = "Must be a string."
                continue
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                continue
            if "\x00" in value:
                continue
            if len(value) > max_length:
                continue
            if value == "":
                continue
            values[name] = value
        if "platform" in values and values["platform"] not in gateway.PLATFORMS:
            errors["platform"] = "bad"
        return gateway.Ping(**values)

    rows.append(("parse_ping", cpu_us(old_parse), cpu_us(lambda: gateway.parse_ping(body))))

    key, msg = b"s" * 32, b"user-12345"
    rows.append(
        (
            "HMAC: hmac.new vs hmac.digest (not adopted: OpenSSL 3 fetches either way)",
            cpu_us(lambda: hmac.new(key, msg, hashlib.sha256).hexdigest()),
            cpu_us(lambda: hmac.digest(key, msg, "sha256").hex()),
        )
    )

    decision = gateway.Decision(200, "verified", proof="web:v1", method="hmac", identifier="u")
    rid = "0123456789abcdef"

    def old_json():
        data = json.dumps({**decision.body(), "request_id": rid}).encode()
        extra = [("X-Request-ID", rid)]
        if settings.VERITY_GATEWAY_WORKER_HEADER:
            extra.append(("X-Verity-Worker", "1"))
        return (200, data, (("Content-Type", "application/json"), *ping.COMMON_HEADERS, *extra))

    rows.append(
        ("rendering the answer", cpu_us(old_json), cpu_us(lambda: ping._respond(decision, rid)))
    )

    now = time.time()
    old_counts, old_seen, lock = Counter(), {}, __import__("threading").Lock()

    def old_count():
        k = OldCountKey(1, "web", "shop.example.com", "verified", "", "web:v1", "5.2.0",
                        time.strftime("%Y-%m-%d", time.gmtime(now)))  # fmt: skip
        with lock:
            old_counts[k] += 1
            old_seen[k] = int(now)

    events = deque()

    def new_count():
        k = (1, "web", "shop.example.com", "verified", "", "web:v1", "5.2.0", days.of(now))
        events.append((k, now, None))

    rows.append(("counting one request", cpu_us(old_count), cpu_us(new_count)))
    # The flusher's share of the new way: aggregating the events, per event.
    batch = [
        ((1, "web", "shop.example.com", "verified", "", "web:v1", "5.2.0", "d"), now, None)
    ] * 5000
    aggregate = cpu_us(lambda: counting._aggregate(batch), n=20) / len(batch)
    rows.append(("  + its share of the flush", 0.0, aggregate))

    def old_settings():
        return (settings.SECURE_SSL_REDIRECT, settings.VERITY_GATEWAY_SOURCE_LIMIT,
                settings.VERITY_GATEWAY_WORKSPACE_LIMIT, settings.VERITY_GATEWAY_WORKER_HEADER,
                settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_HSTS_SECONDS)  # fmt: skip

    def new_settings():
        return (conf.ssl_redirect, conf.source_limit, conf.workspace_limit,
                conf.worker_header, conf.proxy_ssl_header, conf.hsts)  # fmt: skip

    rows.append(("six settings per request", cpu_us(old_settings), cpu_us(new_settings)))

    rows.extend(pyjwt_rows())
    print("| step | before (µs) | after (µs) |\n|---|---|---|")
    for name, before, after in rows:
        print(f"| {name} | {before:.2f} | {after:.2f} |")


if __name__ == "__main__":
    main()
