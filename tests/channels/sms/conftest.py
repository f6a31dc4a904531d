"""The SMS fixtures: the app's settings with Twilio on, and the app with a scripted
dialogue behind the SMS harness (tests/support/sms_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from tests.support.fakes import ScriptedDialogue
from tests.support.sms_harness import SmsHarness, harness_for, twilio_settings
from tests.support.twilio_standin import TwilioStandIn


@pytest.fixture
def sms_settings(settings: Settings, stand_in: TwilioStandIn) -> Settings:
    return twilio_settings(settings, stand_in)


@pytest.fixture
async def sms(sms_settings: Settings, stand_in: TwilioStandIn) -> AsyncIterator[SmsHarness]:
    """The app with a scripted dialogue (fast; the brain is not what these tests test)."""
    async for harness in harness_for(
        sms_settings, stand_in, ScriptedDialogue(replies=["Hello from the bot"])
    ):
        yield harness
