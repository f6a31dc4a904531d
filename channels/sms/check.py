"""The Twilio start-up check: the account answers with these credentials, and the number
or Messaging Service replies are sent from belongs to it. Blocking (the twilio library):
run it in a thread, as `TwilioSender.check()` does."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from channels.checks import CheckResult

__all__ = ["check_twilio"]


def check_twilio(
    client: Client, account_sid: str, from_number: str | None, service_sid: str | None
) -> CheckResult:
    """Account fetch, then the sender: one cheap GET each, the first failure reported."""
    step = "account fetch"
    try:
        account = client.api.accounts(account_sid).fetch()
        if account.status and account.status != "active":
            return CheckResult.failed(step, f"says the account is {account.status}")
        if from_number:
            step = "from-number lookup"
            if not client.incoming_phone_numbers.list(phone_number=from_number, limit=1):
                return CheckResult.failed(step, f"found no number {from_number} in the account")
        if service_sid:
            step = "Messaging Service fetch"
            client.messaging.v1.services(service_sid).fetch()
    except TwilioRestException as exc:
        return CheckResult.failed(step, f"answered HTTP {exc.status}, error {exc.code}: {exc.msg}")
    except TwilioServiceException as exc:
        return CheckResult.failed(
            step, f"answered HTTP {exc.status}, error {exc.code}: {exc.detail or exc.title}"
        )
    except requests.RequestException as exc:
        return CheckResult.failed("reaching Twilio", f"failed ({step}): {exc}")
    return CheckResult.passed()
