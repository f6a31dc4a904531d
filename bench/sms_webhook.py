"""How long Twilio waits for the SMS webhook, which answers inline (Twilio gives up after
15 s). Signed webhooks go through the real app in process, with the real brain (NLU and
the demo knowledge base) on SQLite; the reference is the web chat API, which also answers
inline, measured in the same run with the same questions, interleaved.

    .venv/bin/python bench/sms_webhook.py [ROUNDS]

The delivery worker is not running: the figures are the webhook alone (signature check,
keyword check, intake, NLU, knowledge base, reply and outbox row written).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

# bench/analytics.py would shadow the analytics package (which bot.app imports) when
# this runs as a file: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_app
from bot.settings import LogSettings, RateLimitSettings, Settings, TwilioSettings

PUBLIC = "https://bench.example.test"
TOKEN = "bench-token"
QUESTIONS = [
    "how long do refunds take?",
    "can I return sale items?",
    "where is my order 4417?",
    "do you ship to Canada?",
    "how do I reset my password?",
    "what is the capital of Peru?",
    "thanks",
    "I want to talk to a person",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:10} n={len(values):4d}  median {statistics.median(values) * 1000:7.1f} ms"
        f"  p95 {_percentile(values, 0.95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
    )


async def main(rounds: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    settings = Settings(
        data_dir=data_dir,
        public_base_url=PUBLIC,
        twilio=TwilioSettings(
            account_sid="ACbench", auth_token=SecretStr(TOKEN), from_number="+15005550006"
        ),
        log=LogSettings(level="WARNING"),
        # One web chat session sends every round as fast as it can: a speed measurement,
        # not a person, so the per-session message limit is off.
        rate_limits=RateLimitSettings(enabled=False),
    )
    started = time.perf_counter()
    app = create_app(settings)
    print(f"app built (demo KB ingested, NLU trained): {time.perf_counter() - started:.1f} s")
    validator = RequestValidator(TOKEN)
    transport = httpx.ASGITransport(app=app)
    sms: list[float] = []
    web: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        session = (await client.post("/api/v1/webchat/sessions", json={})).json()
        web_auth = {"Authorization": f"Bearer {session['token']}"}
        for n in range(rounds):
            question = QUESTIONS[n % len(QUESTIONS)]
            form = {
                "MessageSid": f"SMbench{n}",
                "From": f"+1415555{n % 10000:04d}",
                "To": "+15005550006",
                "Body": question,
                "NumMedia": "0",
            }
            path = "/webhooks/twilio/sms"
            signature = validator.compute_signature(PUBLIC + path, form)
            t0 = time.perf_counter()
            answer = await client.post(path, data=form, headers={"X-Twilio-Signature": signature})
            t1 = time.perf_counter()
            chat = await client.post(
                "/api/v1/webchat/messages",
                headers=web_auth,
                json={"client_message_id": f"c{n}", "text": question},
            )
            t2 = time.perf_counter()
            assert answer.status_code == 200 and chat.status_code == 200
            if n >= len(QUESTIONS):  # the first round warms caches
                sms.append(t1 - t0)
                web.append(t2 - t1)
    await app.state.services.aclose()
    print(_line("sms", sms))
    print(_line("web chat", web))
    ratio = statistics.median(sms) / statistics.median(web)
    print(f"sms / web chat median: {ratio:.2f}  (Twilio's webhook timeout: 15000 ms)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 208))
