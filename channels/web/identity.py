"""Identity verification for the widget, as help-desk widgets commonly do it.

A host site that has signed its user in renders the widget with that user's email and
`HMAC-SHA256(identity secret, email)` in hex, computed on its server. Only a visitor
whose hash matches is linked to the customer with that email as *verified*; a name or
email typed into the chat stays a claim.
"""

from __future__ import annotations

import hashlib
import hmac


def identity_hash(secret: str, identifier: str) -> str:
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def identity_matches(secret: str, identifier: str, given_hash: str) -> bool:
    """Compared as bytes, in constant time; any text that is not the hash is a mismatch."""
    given = given_hash.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(identity_hash(secret, identifier).encode(), given)
