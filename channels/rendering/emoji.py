"""The emoji shortcodes agents type most in Slack, as the Unicode a customer's phone or
mail shows. A shortcode not listed here stays as typed (`:shipit:`): a custom emoji has
no Unicode form, and a guess would say something the agent did not.

Two kinds are exact without a list: a country's flag, `:flag-jp:` (and Slack's older
`:jp:`, `:us:`, ... for ten countries), is the two regional indicator letters of its
code; and a skin tone, which Slack writes after the emoji (`:+1::skin-tone-3:`, for
every emoji of a person who set a default tone), is Unicode's modifier after it.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["EMOJI", "shortcode_emoji"]

# Slack's skin-tone-2 to skin-tone-6 are the Fitzpatrick modifiers U+1F3FB to U+1F3FF.
SKIN_TONES = {str(tone): chr(0x1F3FB + tone - 2) for tone in range(2, 7)}
# The flags Slack also names by the country code alone (its older names).
_CODE_FLAGS = {"jp", "kr", "de", "cn", "us", "fr", "es", "it", "ru", "gb", "uk"}
_REGIONAL_A = 0x1F1E6


def shortcode_emoji(name: str, tone: str | None = None) -> str | None:
    """The Unicode of Slack's `:name:` (with `:skin-tone-N:` after it); None when it has
    none here (a custom emoji, or one not listed)."""
    found = EMOJI.get(name) or _flag(name)
    if found is None or tone not in SKIN_TONES:
        return found
    return found.removesuffix("\ufe0f") + SKIN_TONES[tone]


def _flag(name: str) -> str | None:
    code = name.removeprefix("flag-") if name.startswith("flag-") else None
    if code is None and name in _CODE_FLAGS:
        code = "gb" if name == "uk" else name
    if code is None or code.upper() not in phonenumbers.SUPPORTED_REGIONS:
        return None
    return "".join(chr(_REGIONAL_A + ord(letter) - ord("a")) for letter in code)


EMOJI: dict[str, str] = {
    "smile": "\U0001f604",
    "smiley": "\U0001f603",
    "grinning": "\U0001f600",
    "grin": "\U0001f601",
    "laughing": "\U0001f606",
    "joy": "\U0001f602",
    "slightly_smiling_face": "\U0001f642",
    "wink": "\U0001f609",
    "blush": "\U0001f60a",
    "heart_eyes": "\U0001f60d",
    "thinking_face": "\U0001f914",
    "neutral_face": "\U0001f610",
    "sweat_smile": "\U0001f605",
    "disappointed": "\U0001f61e",
    "cry": "\U0001f622",
    "sob": "\U0001f62d",
    "pensive": "\U0001f614",
    "confused": "\U0001f615",
    "worried": "\U0001f61f",
    "open_mouth": "\U0001f62e",
    "scream": "\U0001f631",
    "sunglasses": "\U0001f60e",
    "innocent": "\U0001f607",
    "upside_down_face": "\U0001f643",
    "relieved": "\U0001f60c",
    "+1": "\U0001f44d",
    "thumbsup": "\U0001f44d",
    "-1": "\U0001f44e",
    "thumbsdown": "\U0001f44e",
    "ok_hand": "\U0001f44c",
    "clap": "\U0001f44f",
    "wave": "\U0001f44b",
    "pray": "\U0001f64f",
    "raised_hands": "\U0001f64c",
    "muscle": "\U0001f4aa",
    "point_right": "\U0001f449",
    "eyes": "\U0001f440",
    "heart": "\u2764\ufe0f",
    "blue_heart": "\U0001f499",
    "tada": "\U0001f389",
    "sparkles": "\u2728",
    "star": "\u2b50",
    "fire": "\U0001f525",
    "rocket": "\U0001f680",
    "100": "\U0001f4af",
    "white_check_mark": "\u2705",
    "heavy_check_mark": "\u2714\ufe0f",
    "x": "\u274c",
    "warning": "\u26a0\ufe0f",
    "question": "\u2753",
    "exclamation": "\u2757",
    "bulb": "\U0001f4a1",
    "package": "\U0001f4e6",
    "truck": "\U0001f69a",
    "email": "\U0001f4e7",
    "phone": "\u260e\ufe0f",
    "calendar": "\U0001f4c5",
    "hourglass": "\u231b",
    "lock": "\U0001f512",
    "gift": "\U0001f381",
    "coffee": "\u2615",
    "moneybag": "\U0001f4b0",
}
