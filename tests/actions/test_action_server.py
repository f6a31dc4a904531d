"""The Rasa action-server contract: `switchboard actions serve` answers Rasa's JSON action
calls with exactly the events and responses the bot gets from the same actions
in-process, for the same tracker and the same store."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx

from actions.context import IDENTITY_VERIFIED
from actions.executor import build_executor
from crm_store import Database, upgrade
from tests.support.action_calls import call
from tests.support.customers import ADA, open_sms_conversation, seed
from tests.support.ports import free_port


def seeded_store(path: Path) -> str:
    """A SQLite store with the demo customers, Ada texting in on her demo number."""
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    seed(database)
    open_sms_conversation(database, ADA)
    database.dispose()
    return url


CALLS = [
    call(
        "action_order_status",
        "where is order 4417",
        entities=[{"entity": "order_number", "value": "4417"}],
    ),
    call(
        "action_order_status",
        "where is order 5120",  # Grace's: not Ada's to see
        entities=[{"entity": "order_number", "value": "5120"}],
    ),
    call("action_ticket_status", "any news on my tickets?"),
    call(
        "validate_open_ticket_form",
        "no",
        candidates={"ticket_description": "no"},
        slots={"ticket_subject": "Broken zip"},
        active_loop="open_ticket_form",
    ),
    call(
        "action_open_ticket",
        "the zip broke on day two",
        slots={"ticket_subject": "Broken zip", "ticket_description": "The zip broke on day two."},
    ),
    call(
        "validate_lead_form",
        "lin at example",
        candidates={"lead_email": "lin at example"},
        active_loop="lead_form",
    ),
    call("action_handoff", "a person please"),
]


@contextlib.contextmanager
def action_server(database_url: str, data_dir: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(
        SWITCHBOARD_DATABASE__URL=database_url,
        SWITCHBOARD_DATA_DIR=str(data_dir),
        SWITCHBOARD_SUPPORT__WEEKDAYS="[0,1,2,3,4,5,6]",
        SWITCHBOARD_SUPPORT__OPENS="00:00",
        SWITCHBOARD_SUPPORT__CLOSES="23:59",
    )
    port = free_port()
    log = (data_dir / "actions.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "actions", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            assert process.poll() is None, (data_dir / "actions.log").read_text()
            assert time.monotonic() < deadline, "action server did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def always_open(now: datetime) -> str:
    return "A person from our team will reply here, usually within 30 minutes."


async def test_http_and_in_process_runs_return_the_same_events(tmp_path: Path) -> None:
    in_process_db = Database(seeded_store(tmp_path / "a.db"))
    executor = build_executor(in_process_db, availability=always_open)
    served_url = seeded_store(tmp_path / "b.db")

    local = []
    for action_call in CALLS:
        result = await executor.run(action_call)
        assert result is not None
        local.append(result.model_dump())
    in_process_db.dispose()

    with action_server(served_url, tmp_path) as base:
        remote = [httpx.post(f"{base}/webhook", json=c, timeout=30).json() for c in CALLS]
        listed = {a["name"] for a in httpx.get(f"{base}/actions").json()}
        unknown = httpx.post(f"{base}/webhook", json={**CALLS[0], "next_action": "nope"})

    assert remote == local
    assert "travels with UPS" in local[0]["responses"][0]["text"]
    assert local[1]["responses"][0]["text"].startswith("I can't find an order 5120")
    assert local[3]["events"][0] == {
        "event": "slot",
        "timestamp": None,
        "name": "ticket_description",
        "value": None,
    }
    assert local[4]["responses"][0]["text"].startswith("Done: your ticket number is T-1001")
    assert local[6]["events"][0]["name"] == "handoff_id"
    assert {"action_order_status", "action_handoff", "validate_lead_form"} <= listed
    assert unknown.status_code == 404


async def test_unverified_callers_get_no_order_details(tmp_path: Path) -> None:
    database = Database(seeded_store(tmp_path / "c.db"))
    action_call = call(
        "action_order_status",
        "where is order 4417",
        entities=[{"entity": "order_number", "value": "4417"}],
    )
    action_call["tracker"]["slots"][IDENTITY_VERIFIED] = False
    result = await build_executor(database).run(action_call)
    database.dispose()
    assert result is not None
    (response,) = result.responses
    assert "4417" not in response["text"] and response["text"].startswith("For your privacy")


async def test_an_sms_opt_out_asked_in_words_blocks_that_number(tmp_path: Path) -> None:
    from crm_store import consents

    database = Database(seeded_store(tmp_path / "d.db"))
    result = await build_executor(database).run(call("action_opt_out", "please stop texting me"))
    assert result is not None
    assert result.responses[0]["text"].startswith("Done: you won't get any more messages")
    with database.transaction() as session:
        blocked = consents.opt_out_of(session, "sms", "+14155550101")
    database.dispose()
    assert blocked is not None and blocked.source.startswith("asked in sms conversation")


async def test_a_verified_slot_that_is_not_true_is_not_verified(tmp_path: Path) -> None:
    database = Database(seeded_store(tmp_path / "e.db"))
    texts = []
    for claimed in ("false", "no", 1, "true"):
        action_call = call(
            "action_order_status",
            "where is order 4417",
            entities=[{"entity": "order_number", "value": "4417"}],
        )
        action_call["tracker"]["slots"][IDENTITY_VERIFIED] = claimed
        result = await build_executor(database).run(action_call)
        assert result is not None
        texts.append(result.responses[0]["text"])
    database.dispose()
    assert all(text.startswith("For your privacy") for text in texts)


def test_a_call_that_is_not_the_shape_rasa_sends_gets_400_with_the_reason(
    tmp_path: Path,
) -> None:
    # A list, or a call without its tracker, raised inside rasa-sdk (500 and a traceback
    # in the log); `{}` was answered 200 null, as if an action had run.
    good = CALLS[0]
    tracker = good["tracker"]
    refused = {
        b"[]": "a JSON object, not list",
        b"{}": "next_action",
        b"not json": "not JSON",
        b'{"next_action": "action_order_status"}': "tracker",
        b'{"next_action": "action_order_status", "tracker": "x"}': "tracker",
        json.dumps({**good, "tracker": {**tracker, "sender_id": None}}).encode(): "sender_id",
        json.dumps({**good, "tracker": {**tracker, "slots": []}}).encode(): "tracker.slots",
    }
    with action_server(seeded_store(tmp_path / "s.db"), tmp_path) as base:
        answers = {
            body: httpx.post(
                f"{base}/webhook", content=body, headers={"Content-Type": "application/json"}
            )
            for body in refused
        }
        deflated = httpx.post(
            f"{base}/webhook",
            content=b"\x00garbage",
            headers={"Content-Type": "application/json", "Content-Encoding": "deflate"},
        )
        still_works = httpx.post(f"{base}/webhook", json=good, timeout=30)
    for body, reason in refused.items():
        assert answers[body].status_code == 400, (body, answers[body].text)
        assert reason in answers[body].json()["error"], (body, answers[body].text)
    assert deflated.status_code == 400 and "deflate" in deflated.json()["error"]
    assert still_works.status_code == 200
    assert "travels with UPS" in still_works.json()["responses"][0]["text"]
    assert "Traceback" not in (tmp_path / "actions.log").read_text()
