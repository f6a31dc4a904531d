"""The real app with Slack on, against the local Slack Web API stand-in, and requests to
/webhooks/slack/events signed exactly as Slack signs them (tests/support/slack_requests.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services
from tests.support.customers import seed
from tests.support.slack_requests import Slack, slack_settings
from tests.support.slack_standin import SlackStandIn


@pytest.fixture
def slack_client(
    settings: Any, standin: SlackStandIn, encoder: SentenceEncoder
) -> Iterator[TestClient]:
    with TestClient(create_app(slack_settings(settings, standin), encoder=encoder)) as client:
        seed(services(client).database)
        yield client


@pytest.fixture
def slack(slack_client: TestClient, standin: SlackStandIn) -> Slack:
    return Slack(slack_client, standin)
