"""The OpenAPI document tells the truth: schemathesis generates requests from it for every
operation (bounded examples, derandomised) and checks that no answer is a 5xx, that every
status and content type is documented for its route, and that bodies match their schemas.

The app is the real one (NLU, knowledge base, SQLite; rate limits off), with SMS and the email relay
configured so their webhooks are in the document too, and with an admin's staff token and
a widget session, so the checks reach past authentication as well as into it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import APIOperation

from bot.app import create_app
from bot.settings import (
    DatabaseSettings,
    EmailSettings,
    NluSettings,
    RateLimitSettings,
    Settings,
    TwilioSettings,
)
from crm_store import staff
from tests.support.prepared import PreparedState

# Examples per operation: enough to reach each documented branch, bounded for CI.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@schemathesis.serializer("message/rfc822")
def _raw_mail(_context: object, value: object) -> bytes:
    """The relay posts the raw mail; generated values are sent as their UTF-8 text."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


@dataclass(frozen=True)
class Credentials:
    staff_token: str
    widget_token: str


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, prepared: PreparedState
) -> Iterator[tuple[FastAPI, Credentials]]:
    root: Path = tmp_path_factory.mktemp("openapi")
    settings_ = Settings(
        data_dir=prepared.seed(root / "var"),
        nlu=NluSettings(model_dir=prepared.nlu_model_dir),
        database=DatabaseSettings(url=f"sqlite:///{root / 'api.db'}", auto_migrate=True),
        public_base_url="https://support.example.test",
        # Off: thousands of generated requests would soon be answered 429 and nothing else
        # (429 is documented; tests/bot/test_rate_limits_api.py proves the limits).
        rate_limits=RateLimitSettings(enabled=False),
        twilio=TwilioSettings(
            account_sid="AC" + "0" * 32,
            auth_token="twilio-auth-token-for-the-conformance-test",
            from_number="+15550001111",
            api_base_url="http://127.0.0.1:9",
        ),
        email=EmailSettings(
            from_address="support@example.test",
            inbound_token="relay-token-for-the-conformance-test-000",
        ),
    )
    app = create_app(settings_)
    with TestClient(app) as client:
        with app.state.services.database.transaction() as session:
            _, token = staff.create_staff(
                session, name="Olga Admin", email="olga@example.test", role="admin"
            )
        started = client.post("/api/v1/webchat/sessions", json={"name": "Schema Tester"})
        assert started.status_code == 200, started.text
        yield app, Credentials(token, started.json()["token"])


def _check_operation(operation: APIOperation, token: str | None) -> str | None:
    """Run the bounded examples of one operation; the first failure's text, or None."""

    @given(operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def examples(case: schemathesis.Case) -> None:
        # A real token (or none at all): the checks are about the document, not about
        # guessing tokens.
        headers = {"Authorization": f"Bearer {token}"} if token else None
        # 60 s, not schemathesis's 10: a hang guard, not a speed check; on a loaded CI
        # machine one request took over 10 s once and the example was judged flaky.
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    try:
        examples()
    except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup names every check
        # A group (Hypothesis's flaky failure among them) says only how many it holds:
        # name each, so a failure seen once in CI can be read from its log.
        inner = getattr(exc, "exceptions", ())
        detail = "".join(f"\n  - {type(e).__name__}: {e}"[:2000] for e in inner)
        return f"{operation.label}: {exc}{detail}"
    return None


def _token(who: str, path: str, credentials: Credentials) -> str | None:
    if who == "anonymous":
        return None
    if who == "widget visitor":  # on the staff API too, where it must be refused (403)
        return credentials.widget_token
    return (
        credentials.widget_token if path.startswith("/api/v1/webchat") else credentials.staff_token
    )


@pytest.mark.parametrize("who", ["staff with a token", "widget visitor", "anonymous"])
def test_every_operation_answers_as_documented(
    who: str, served: tuple[FastAPI, Credentials]
) -> None:
    app, credentials = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    labels = []
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        failure = _check_operation(operation, _token(who, operation.path, credentials))
        if failure is not None:
            failures.append(failure)
    assert "POST /model/parse" in labels and "POST /webhooks/twilio/sms" in labels
    assert not failures, "\n\n".join(failures)
