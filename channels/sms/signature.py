"""Twilio's request signature, checked against the public URL Twilio called.

Twilio signs the URL it was given (scheme, host, path and query) and the form fields
with the account's Auth Token. Behind a proxy or tunnel the request this server sees
has another host and scheme, so the URL is rebuilt from SWITCHBOARD_PUBLIC_BASE_URL.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)


class SignatureCheck:
    def __init__(self, auth_token: str, public_base_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._base = public_base_url.rstrip("/")

    def public_url(self, request: Request) -> str:
        query = request.url.query
        return f"{self._base}{request.url.path}" + (f"?{query}" if query else "")

    def is_valid(self, request: Request, form: Mapping[str, str]) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        return bool(
            self._validator.validate(self.public_url(request), dict(form), signature, algorithm)
        )
