"""Personal links: random tokens that only their holder knows; the database keeps a hash.

Used for invitation links, registrants' and delegates' personal links and private calendar feeds.
A token has 256 random bits (``secrets.token_urlsafe(32)``, 43 URL-safe characters); only its SHA-256
is stored, so a copy of the database holds no working link. Look a token up by its hash
(:func:`hash_token`); compare nothing in Python.
"""
from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # longer path segments are not our tokens: answer 404 without hashing them


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def link_key(config) -> str:
    """The key that derived personal links (private calendar feeds, event registrations) come from:
    ``FEED_TOKEN_KEY``, else ``SECRET_KEY``. Changing it changes every such link."""
    return config.get("FEED_TOKEN_KEY") or config["SECRET_KEY"]
