"""The web widget end to end: demo page, real server process, Debian's headless Chromium.

Each test checks what the visitor sees against what the server stored: every message
exactly once, in seq order, nothing missing, whatever happened to the connection.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Locator, Page, WebSocketRoute, expect

from tests.support.widget_page import GREETING_REPLY, bot_reply, send, widget

if TYPE_CHECKING:
    from tests.support.switchboard_server import SwitchboardServer

pytestmark = [pytest.mark.browser, pytest.mark.one_server]

THANKS_REPLY = "You're welcome!"
# The knowledge base has nothing on these, so the bot says so and offers a person.
FALLBACK_REPLY = "I'm not sure I have a good answer to that."
GOODBYE_REPLY = "Goodbye, and thanks for getting in touch."
WIDGET_JS = Path(__file__).parents[2] / "channels" / "web" / "static" / "widget.js"

_RENDERED = """() => [...document.querySelector('#switchboard-widget').shadowRoot
    .querySelectorAll('.log .msg')]
    .filter(m => m.dataset.status !== 'local')
    .map(m => ({
        seq: m.dataset.seq ? Number(m.dataset.seq) : null,
        author: m.dataset.author,
        status: m.dataset.status,
        text: m.querySelector('.text').textContent,
    }))"""


def open_chat(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("dialog", name="Acme support")).to_be_visible()
    expect(widget(page)).to_have_attribute("data-state", "online")


def reopen(page: Page) -> None:
    page.wait_for_function("() => window.SwitchboardWidget")
    page.evaluate("() => window.SwitchboardWidget.open()")


def stored_messages(page: Page) -> Locator:
    return page.get_by_role("log").locator(".msg[data-seq]")


def pending(page: Page) -> Locator:
    return page.get_by_role("log").locator('.msg[data-status="pending"]')


def widget_storage(page: Page, server: SwitchboardServer) -> dict:
    raw = page.evaluate("key => localStorage.getItem(key)", f"switchboard:{server.base_url}")
    return json.loads(raw)


def assert_panel_matches_server(page: Page, server: SwitchboardServer, count: int) -> None:
    """The panel shows exactly the stored conversation: each seq once, in order."""
    expect(stored_messages(page)).to_have_count(count)
    expect(pending(page)).to_have_count(0)
    stored = server.messages(widget_storage(page, server)["token"])
    assert [m["seq"] for m in stored] == list(range(1, count + 1)), stored
    customer_texts = Counter(m["text"] for m in stored if m["author"] == "customer")
    assert all(n == 1 for n in customer_texts.values()), customer_texts
    shown = page.evaluate(_RENDERED)
    assert [(m["seq"], m["author"], m["text"]) for m in shown] == [
        (m["seq"], m["author"], m["text"]) for m in stored
    ]
    assert {m["status"] for m in shown} == {"sent"}


def test_a_greeting_gets_a_reply_that_the_server_stored(
    page: Page, server: SwitchboardServer
) -> None:
    open_chat(page)
    send(page, "hello")

    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)
    mine = page.get_by_role("log").locator('.msg[data-author="customer"]', has_text="hello")
    expect(mine).to_have_attribute("data-status", "sent")
    expect(mine).to_have_attribute("data-seq", "1")

    token = widget_storage(page, server)["token"]
    stored = server.messages(token)
    assert [(m["seq"], m["author"], m["text"]) for m in stored] == [
        (1, "customer", "hello"),
        (2, "bot", f"Hi! {GREETING_REPLY}"),
    ]
    assert_panel_matches_server(page, server, 2)


def test_b_messages_typed_while_the_server_is_down_go_out_once_it_is_back(
    page: Page, server: SwitchboardServer
) -> None:
    open_chat(page)
    send(page, "hello")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)

    server.stop()
    expect(widget(page)).not_to_have_attribute("data-state", "online")
    send(page, "thanks a lot")
    send(page, "What is the capital of Peru?")
    expect(pending(page)).to_have_count(2)
    expect(page.get_by_role("dialog").locator(".status")).to_have_text(
        re.compile("Offline|Connecting")
    )
    queued = [item["text"] for item in widget_storage(page, server)["pending"]]
    assert queued == ["thanks a lot", "What is the capital of Peru?"]

    server.start()
    expect(widget(page)).to_have_attribute("data-state", "online")
    expect(bot_reply(page, THANKS_REPLY)).to_have_count(1)
    expect(bot_reply(page, FALLBACK_REPLY)).to_have_count(1)
    assert_panel_matches_server(page, server, 6)
    assert widget_storage(page, server)["pending"] == []
    stored = server.messages(widget_storage(page, server)["token"])
    assert [m["text"] for m in stored if m["author"] == "customer"] == [
        "hello",
        "thanks a lot",
        "What is the capital of Peru?",
    ]


def test_c_a_reload_restores_the_conversation_without_doubling_it(
    page: Page, server: SwitchboardServer
) -> None:
    hellos: list[dict] = []

    def watch(socket) -> None:  # type: ignore[no-untyped-def]
        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "hello":
                hellos.append(frame)

        socket.on("framesent", sent)

    page.on("websocket", watch)
    open_chat(page)
    send(page, "hello")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)
    send(page, "thanks")
    expect(bot_reply(page, THANKS_REPLY)).to_have_count(1)
    assert_panel_matches_server(page, server, 4)

    # A reload renders the cached conversation and replays only what is missing.
    page.reload()
    reopen(page)
    expect(widget(page)).to_have_attribute("data-state", "online")
    assert_panel_matches_server(page, server, 4)
    assert hellos[-1]["after"] == 4

    # Without the cache (another tab's storage cleared, say), a full replay: same panel.
    page.evaluate(
        """key => {
            const saved = JSON.parse(localStorage.getItem(key));
            localStorage.setItem(key, JSON.stringify({...saved, messages: [], after: 0}));
        }""",
        f"switchboard:{server.base_url}",
    )
    page.reload()
    reopen(page)
    expect(widget(page)).to_have_attribute("data-state", "online")
    assert_panel_matches_server(page, server, 4)
    assert hellos[-1]["after"] == 0

    send(page, "bye")
    expect(bot_reply(page, GOODBYE_REPLY)).to_have_count(1)
    assert_panel_matches_server(page, server, 6)

    screenshot = os.environ.get("SWITCHBOARD_WIDGET_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot)


def test_d_a_message_over_the_limit_shows_an_error_and_is_not_stored(
    page: Page, server: SwitchboardServer
) -> None:
    open_chat(page)
    box = page.get_by_role("textbox", name="Message")
    # The textbox takes no more than the server does (its WEBCHAT__MAX_TEXT_LENGTH).
    expect(box).to_have_attribute("maxlength", "4000")
    box.fill("x" * 4001)
    expect(box).to_have_value("x" * 4000)

    # Should longer text reach the server all the same (here: the limit taken off the
    # textbox), the server refuses it, and the text stays in the box to be edited.
    box.evaluate("box => box.removeAttribute('maxlength')")
    send(page, "x" * 4001)
    expect(page.get_by_role("alert")).to_contain_text("longer than 4000 characters")
    failed = page.get_by_role("log").locator('.msg[data-status="failed"]')
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("Not sent")
    expect(box).to_have_value("x" * 4001)
    expect(pending(page)).to_have_count(0)
    assert widget_storage(page, server)["pending"] == []

    send(page, "hello")
    expect(box).to_have_value("")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)
    expect(page.get_by_role("alert")).to_be_hidden()
    stored = server.messages(widget_storage(page, server)["token"])
    assert [(m["seq"], m["text"][:20]) for m in stored] == [
        (1, "hello"),
        (2, "Hi! How can I help y"),
    ]


def test_e_message_text_is_shown_as_text_never_as_markup(
    page: Page, server: SwitchboardServer
) -> None:
    attack = '<img src=x onerror="window.__pwned = true">'
    open_chat(page)
    send(page, attack)

    expect(bot_reply(page, FALLBACK_REPLY)).to_have_count(1)
    mine = page.get_by_role("log").locator('.msg[data-author="customer"] .text')
    expect(mine).to_have_text(attack)
    assert page.evaluate("() => window.__pwned") is None
    assert page.get_by_role("log").locator("img").count() == 0


def test_f_a_second_tab_follows_the_conversation(page: Page, server: SwitchboardServer) -> None:
    open_chat(page)
    send(page, "hello")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)

    # Same browser profile, so the same session; the panel starts closed in a new tab.
    other = page.context.new_page()
    other.goto("/")
    expect(widget(other)).to_have_attribute("data-state", "online")
    send(page, "thanks")
    expect(bot_reply(page, THANKS_REPLY)).to_have_count(1)

    # The server pushes replies to every socket of the session but not the customer's
    # own messages: the other tab sees the gap below the reply and reads the rest.
    expect(other.get_by_role("button", name="Open chat")).to_have_accessible_name(
        re.compile(r"\(1 new\)")
    )
    other.get_by_role("button", name="Open chat").click()
    assert_panel_matches_server(other, server, 4)
    assert_panel_matches_server(page, server, 4)


def test_g_a_lost_ack_loses_and_doubles_nothing(page: Page, server: SwitchboardServer) -> None:
    """The socket drops after the server stored a message but before the ack arrived."""
    acks_to_drop = [1]

    def relay(route: WebSocketRoute) -> None:
        upstream = route.connect_to_server()

        def to_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if acks_to_drop and frame.get("type") == "message":
                # Lost with the connection too: the echo of the visitor's own message and
                # the reply would otherwise let the widget recover without resending.
                return
            if acks_to_drop and frame.get("type") == "ack":
                acks_to_drop.pop()
                upstream.close()
                route.close()
                return
            route.send(message)

        upstream.on_message(to_page)

    page.route_web_socket(re.compile(r"/api/v1/webchat/ws$"), relay)
    open_chat(page)
    send(page, "hello")

    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)
    assert_panel_matches_server(page, server, 2)
    assert not acks_to_drop
    # The widget recovers either by resending (the server dedupes) or by fetching the gap;
    # which one wins is timing. Either way the panel matches the server exactly (above).


def test_h_a_rejected_token_starts_a_new_session(page: Page, server: SwitchboardServer) -> None:
    open_chat(page)
    send(page, "hello")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)
    old_token = widget_storage(page, server)["token"]

    # A new signing secret: the server now refuses the widget's token (close code 4401).
    server.stop()
    (server.data_dir / "webchat_secret").unlink()
    send(page, "thanks")
    server.start()

    expect(widget(page)).to_have_attribute("data-state", "online")
    expect(bot_reply(page, THANKS_REPLY)).to_have_count(1)
    assert widget_storage(page, server)["token"] != old_token
    assert_panel_matches_server(page, server, 2)


def test_i_a_server_that_lost_the_conversation_is_believed(
    page: Page, server: SwitchboardServer
) -> None:
    open_chat(page)
    send(page, "hello")
    expect(bot_reply(page, GREETING_REPLY)).to_have_count(1)

    # Same signing secret, empty database: the token is good, the old seqs are gone.
    server.stop()
    for path in server.data_dir.glob("switchboard.db*"):
        path.unlink()
    server.start()

    expect(widget(page)).to_have_attribute("data-state", "online")
    expect(stored_messages(page)).to_have_count(0)
    send(page, "thanks")
    expect(bot_reply(page, THANKS_REPLY)).to_have_count(1)
    assert_panel_matches_server(page, server, 2)


def test_j_a_knowledge_base_answer_is_shown_as_formatted_text(
    page: Page, server: SwitchboardServer
) -> None:
    open_chat(page)
    send(page, "how long do refunds take?")

    reply = bot_reply(page, "5 business days")
    expect(reply).to_have_count(1)
    link = reply.locator(".text a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", re.compile(r"^https://"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_contain_text("Refunds")
    expect(reply.locator(".text em")).to_contain_text("Source:")
    shown = reply.locator(".text").text_content() or ""
    assert "](" not in shown and "_Source" not in shown and "_" not in shown, shown

    # The stored text is still the Markdown the bot sent; only the widget formats it.
    stored = server.messages(widget_storage(page, server)["token"])
    assert "](https://" in stored[-1]["text"]

    screenshot = os.environ.get("SWITCHBOARD_WIDGET_MARKDOWN_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot)


_RENDER = """text => {
    const box = document.createElement('div');
    box.appendChild(window.SwitchboardWidget.renderMarkdown(text));
    document.body.appendChild(box);
    return {
        tags: [...box.querySelectorAll('*')].map(node => node.tagName.toLowerCase()),
        hrefs: [...box.querySelectorAll('a')].map(a => a.getAttribute('href')),
        text: box.textContent,
    };
}"""


@pytest.mark.parametrize(
    ("markdown", "tags", "hrefs", "text"),
    [
        ("[x](javascript:alert(1))", ["p"], [], "x"),
        ("[x](JavaScript:alert`1`)", ["p"], [], "x"),
        ("[x](data:text/html,hi)", ["p"], [], "x"),
        ("<img src=x onerror=__pwned=1>", ["p"], [], "<img src=x onerror=__pwned=1>"),
        ("**<script>alert(1)</script>**", ["p", "strong"], [], "<script>alert(1)</script>"),
        (
            "[Help](https://help.example/a_b) and `x_y`",
            ["p", "a", "code"],
            ["https://help.example/a_b"],
            "Help and x_y",
        ),
        (
            "Open **Orders**, then _Return items_.\n- one *two*\n* three\n\nsnake_case stays\nok",
            ["p", "strong", "em", "ul", "li", "em", "li", "p", "br"],
            [],
            "Open Orders, then Return items.one twothreesnake_case staysok",
        ),
    ],
)
def test_k_the_markdown_renderer_makes_only_safe_markup(
    browser: Browser, markdown: str, tags: list[str], hrefs: list[str], text: str
) -> None:
    # No server needed: the renderer alone, from the widget script on a blank page.
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.set_content("<!doctype html><body></body>")
        page.add_script_tag(content=WIDGET_JS.read_text(encoding="utf-8"))
        rendered = page.evaluate(_RENDER, markdown)
        assert page.evaluate("() => window.__pwned") is None
    finally:
        page.close()
    assert rendered == {"tags": tags, "hrefs": hrefs, "text": text}
    assert not errors, errors


def test_l_a_question_the_help_centre_does_not_cover_says_so_and_yes_reaches_a_person(
    page: Page,
) -> None:
    open_chat(page)
    send(page, "do you do gift wrapping? its for my mums birthday")

    said = bot_reply(page, "Our help centre doesn't cover that")
    expect(said).to_have_count(1)
    expect(said.locator(".text a")).to_have_count(0)  # no article cited, none listed
    send(page, "yes please")
    expect(bot_reply(page, "I'm passing you to a person.")).to_have_count(1)
