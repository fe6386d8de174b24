"""A fake local token provider (no network): trades a long-lived key for short-lived credentials."""

import hashlib
import secrets
import time


def issue(source_key: str, *, role: str, ttl: int) -> dict[str, str]:
    if not source_key.startswith("LONG-LIVED-"):
        raise PermissionError("the provider does not trust this key")
    expires = int(time.time()) + ttl
    key_id = "ASIA" + hashlib.sha256(f"{source_key}:{role}".encode()).hexdigest()[:16].upper()
    return {
        "access_key_id": key_id,
        "secret_access_key": secrets.token_urlsafe(30),
        "session_token": f"{role}.{expires}.{secrets.token_urlsafe(24)}",
    }
