"""Slack's message text as customers read it (channels/rendering/slack_text.py): each of
Slack's control sequences and markup, as Markdown (email, web) and as plain text (SMS)."""

from __future__ import annotations

import pytest

from channels.rendering import (
    LinkStyle,
    after_opening_mentions,
    mentioned_users,
    render_mail,
    render_sms,
    to_html,
    to_markdown,
    to_plain,
)

NAMES = {"USAM000001": "Sam Carter"}


@pytest.mark.parametrize(
    ("slack", "markdown", "plain"),
    [
        (
            "See <https://help.example/refunds|our refund guide>.",
            "See [our refund guide](https://help.example/refunds).",
            "See our refund guide (https://help.example/refunds).",
        ),
        (
            "Go to <https://help.example/x>",
            "Go to <https://help.example/x>",
            "Go to https://help.example/x",
        ),
        (
            "<https://help.example/a?b=1&amp;c=2|guide>",
            "[guide](https://help.example/a?b=1&c=2)",
            "guide (https://help.example/a?b=1&c=2)",
        ),
        (
            "Write to <mailto:help@acme.test|help@acme.test>",
            "Write to help@acme.test",
            "Write to help@acme.test",
        ),
        ("<@USAM000001> will call you", "Sam Carter will call you", "Sam Carter will call you"),
        ("<@UOTHER0001> will call you", "a colleague will call you", "a colleague will call you"),
        ("<@UOLD000001|kim> says hi", "kim says hi", "kim says hi"),
        ("Asked in <#C0123|billing>", "Asked in #billing", "Asked in #billing"),
        ("<!here> refund done", "refund done", "refund done"),
        ("Ask <!subteam^S123|@billing-team>", "Ask @billing-team", "Ask @billing-team"),
        ("On <!date^1700000000^{date}|Nov 14>", "On Nov 14", "On Nov 14"),
        (
            "Thanks :smile: :+1: :tada:",
            "Thanks \U0001f604 \U0001f44d \U0001f389",
            "Thanks \U0001f604 \U0001f44d \U0001f389",
        ),
        ("Custom :shipit: stays", "Custom :shipit: stays", "Custom :shipit: stays"),
        # A Slack user with a default skin tone sends every such emoji with its tone, and
        # flags are `flag-xx` (a few also by their country code): the customer read
        # "👍:skin-tone-3:" and "we ship to Japan :flag-jp:".
        (
            "Thanks :+1::skin-tone-3: and :wave::skin-tone-6:",
            "Thanks \U0001f44d\U0001f3fc and \U0001f44b\U0001f3ff",
            "Thanks \U0001f44d\U0001f3fc and \U0001f44b\U0001f3ff",
        ),
        (
            "We ship to :flag-jp: and :us:, not :flag-zz:",
            "We ship to \U0001f1ef\U0001f1f5 and \U0001f1fa\U0001f1f8, not :flag-zz:",
            "We ship to \U0001f1ef\U0001f1f5 and \U0001f1fa\U0001f1f8, not :flag-zz:",
        ),
        ("Custom :shipit::skin-tone-2: stays", "Custom :shipit: stays", "Custom :shipit: stays"),
        ("It is *done* now", "It is **done** now", "It is done now"),
        ("It is _nearly_ done", "It is _nearly_ done", "It is nearly done"),
        ("The ~old~ new price", "The ~~old~~ new price", "The old new price"),
        ("Code `a_b*c*` stays", "Code `a_b*c*` stays", "Code a_b*c* stays"),
        ("Use ```SAVE15``` at checkout", "Use ```SAVE15``` at checkout", "Use SAVE15 at checkout"),
        ("A ``tick`` and ``a`b``", "A ``tick`` and ``a`b``", "A tick and a`b"),
        ("snake_case_word and 2*3*4", "snake_case_word and 2*3*4", "snake_case_word and 2*3*4"),
        ("Tom &amp; Jerry &lt;3 a &gt; b", "Tom & Jerry <3 a > b", "Tom & Jerry <3 a > b"),
        (
            "<https://x.example|the *full* guide>",
            "[the **full** guide](https://x.example)",
            "the full guide (https://x.example)",
        ),
    ],
)
def test_each_slack_form_becomes_markdown_and_plain_text(
    slack: str, markdown: str, plain: str
) -> None:
    assert to_markdown(slack, NAMES) == markdown
    assert to_plain(slack, NAMES) == plain


def test_the_mentioned_users_are_found_for_the_name_lookup() -> None:
    text = "<@USAM000001> and <@UKIM000001|kim>, not <#C1|general> or <!here>"
    assert mentioned_users(text) == {"USAM000001", "UKIM000001"}


def test_a_slack_reply_reads_right_by_sms_and_by_mail() -> None:
    slack = "Hi! <@USAM000001> fixed it :tada: see <https://help.example/r|the *guide*> &amp; reply"
    markdown = to_markdown(slack, NAMES)
    assert render_sms(markdown).body == (
        "Hi! Sam Carter fixed it \U0001f389 see the guide: https://help.example/r & reply"
    )
    assert to_plain(slack, NAMES, links=LinkStyle.AFTER_COLON) == render_sms(markdown).body
    mail = render_mail(markdown)
    assert "the guide (https://help.example/r)" in mail.text
    assert '<a href="https://help.example/r">the <strong>guide</strong></a>' in mail.html


def test_strike_through_shows_in_html_and_goes_from_plain_text() -> None:
    assert "<s>old</s>" in to_html(to_markdown("~old~ price"))
    assert render_sms(to_markdown("~old~ price")).body == "old price"


def test_escaped_html_stays_text_in_the_mail_html() -> None:
    markdown = to_markdown("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script>" not in render_mail(markdown).html


@pytest.mark.parametrize(
    ("slack", "after"),
    [
        ("<!here> can someone help?", "can someone help?"),
        ("  <@USAM000001> do you know her?", "do you know her?"),
        ("<@UOLD000001|kim>, <!subteam^S1|@billing>: refund?", "refund?"),
        ("<!subteam^S0BILLING> anyone?", "anyone?"),
        ("<!channel|channel> <!everyone> look", "look"),
        ("<!here>", ""),
        # Not opening with a mention: a reply that names someone along the way.
        ("Thanks, I asked <@USAM000001>", None),
        ("On <!date^1700000000^{date}|Nov 14> <!here>", None),
        ("<https://help.example|guide> <!here>", None),
        ("<#C0123|billing> knows", None),
        # A mention inside the first words, not before them: to the customer.
        ("<@UKIM000001>'s team will email you today", None),
    ],
)
def test_a_message_opening_with_a_mention_is_told_apart(slack: str, after: str | None) -> None:
    assert after_opening_mentions(slack) == after


def test_for_colleagues_mentions_stay_mentions_and_never_raw_ids() -> None:
    slack = "<@USAM000001> <@UOTHER0001> <!here> <!subteam^S1|@billing> <!subteam^S2> ok"
    assert to_markdown(slack, NAMES, for_colleagues=True) == (
        "@Sam Carter a colleague @here @billing a team ok"
    )
    assert to_markdown(slack, NAMES) == "Sam Carter a colleague @billing our team ok"
