# The translations are written in their own scripts and punctuation (fullwidth marks,
# Turkish dotless i): ruff's look-alike character check does not apply here.
# ruff: noqa: RUF001
"""What the bot says to a customer who writes in a language the help centre does not
cover: that it answers only in English for now, and that a person can help, in the
customer's own language where we have the sentence, in English otherwise.

The notice asks the customer to say yes, so `says_yes` recognises that answer in the
same language (and in English, which anyone may fall back to). Plain tables, no model:
this module is part of the dialogue's fast unit layer.

The translations were written for this project, in the register each language's shops
use with customers: informal "tú/tu/je/du" where shops write so (es, it, nl, sv, pl),
formal "vous/Sie/siz" where they do not (fr, de, tr).
"""

from __future__ import annotations

import unicodedata

__all__ = ["ENGLISH_NOTICE", "handover_line", "language_name", "language_notice", "says_yes"]

ENGLISH_NOTICE = (
    "Sorry, I can only answer in English for now. Would you like a person to help? Just say yes."
)

NOTICES: dict[str, str] = {
    "ar": "عذرًا، لا يمكنني الرد حاليًا إلا باللغة الإنجليزية. هل تريد أن يساعدك أحد موظفينا؟"
    " فقط اكتب «نعم».",
    "de": "Entschuldigung, ich kann vorerst nur auf Englisch antworten. Möchten Sie, dass "
    "Ihnen ein Mensch weiterhilft? Schreiben Sie einfach „ja“.",
    "es": "Lo siento, de momento solo puedo responder en inglés. ¿Quieres que te atienda "
    "una persona? Solo escribe «sí».",
    "fr": "Désolé, pour l'instant je ne peux répondre qu'en anglais. Voulez-vous qu'une "
    "personne vous aide ? Répondez simplement « oui ».",
    "it": "Mi dispiace, per ora posso rispondere solo in inglese. Vuoi che ti aiuti una "
    "persona? Basta scrivere «sì».",
    "ja": "申し訳ありませんが、現在は英語でのみお答えしています。担当者におつなぎしましょうか？"
    "「はい」とお返事ください。",
    "nl": "Sorry, ik kan voorlopig alleen in het Engels antwoorden. Wil je dat een "
    'medewerker je helpt? Antwoord dan gewoon "ja".',
    "pl": "Przepraszam, na razie mogę odpowiadać tylko po angielsku. Czy połączyć Cię z "
    "konsultantem? Wystarczy napisać „tak”.",
    "pt": "Desculpe, por enquanto só consigo responder em inglês. Quer ajuda de uma "
    'pessoa? Basta responder "sim".',
    "ru": "Извините, пока я могу отвечать только на английском. Хотите, чтобы вам помог "
    "сотрудник? Просто напишите «да».",
    "sv": "Tyvärr kan jag bara svara på engelska just nu. Vill du ha hjälp av en person? "
    'Svara bara "ja".',
    "tr": "Üzgünüm, şimdilik yalnızca İngilizce yanıt verebiliyorum. Bir müşteri "
    'temsilcisinin size yardımcı olmasını ister misiniz? "Evet" yazmanız yeterli.',
    "zh": "抱歉，我目前只能用英语回答。需要人工客服帮您吗？回复“是”即可。",
}

# Said first when the customer accepts the notice's offer of a person, in their language:
# the team's handover message that follows is in English (its hours, what happens next),
# and a customer who asked in Spanish should not have to guess that the yes was heard.
# It promises a person, not one who speaks the language.
HANDOVER_LINES: dict[str, str] = {
    "ar": "حسنًا، سأحوّلك الآن إلى أحد موظفينا.",
    "de": "Gern, ich verbinde Sie jetzt mit einem Mitarbeiter unseres Teams.",
    "es": "De acuerdo, te paso con una persona de nuestro equipo.",
    "fr": "Très bien, je vous mets en relation avec une personne de notre équipe.",
    "it": "Va bene, ti passo a una persona del nostro team.",
    "ja": "承知しました。担当者におつなぎします。",
    "nl": "Prima, ik verbind je door met een medewerker van ons team.",
    "pl": "Dobrze, przekazuję Cię konsultantowi z naszego zespołu.",
    "pt": "Certo, vou passar você para uma pessoa da nossa equipe.",
    "ru": "Хорошо, передаю вас сотруднику нашей команды.",
    "sv": "Okej, jag kopplar dig till en person i vårt team.",
    "tr": "Tamam, sizi ekibimizden bir temsilciye aktarıyorum.",
    "zh": "好的，正在为您转接人工客服。",
}

NAMES: dict[str, str] = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "ja": "Japanese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "tr": "Turkish",
    "zh": "Chinese",
}

# Whole replies that mean yes to "would you like a person?", compared after `_plain`:
# lower case, no punctuation, no accents ("sí" and "si" alike).
_YES_WRITTEN: dict[str, tuple[str, ...]] = {
    "en": ("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "please", "yes please"),
    "ar": ("نعم", "أجل", "ايوه", "اي", "حسنا", "نعم من فضلك"),
    "de": (
        "ja",
        "gerne",
        "gern",
        "ja gerne",
        "ja gern",
        "ja bitte",
        "bitte",
        "ok",
        "okay",
        "jawohl",
    ),
    "es": ("sí", "vale", "claro", "sí por favor", "por favor", "ok", "dale"),
    "fr": ("oui", "ouais", "d'accord", "oui merci", "ok", "volontiers"),
    "it": ("sì", "certo", "va bene", "sì grazie", "ok", "volentieri"),
    "ja": ("はい", "お願いします", "おねがいします", "はいお願いします", "うん", "ええ"),
    "nl": ("ja", "graag", "ja graag", "ok", "oké", "prima", "goed"),
    "pl": ("tak", "chętnie", "poproszę", "tak proszę", "ok", "dobrze"),
    "pt": ("sim", "claro", "sim por favor", "quero", "ok", "pode ser"),
    "ru": ("да", "давайте", "хорошо", "конечно", "да пожалуйста", "ок"),
    "sv": ("ja", "gärna", "ja tack", "okej", "ok", "visst"),
    "tr": ("evet", "tamam", "olur", "evet lütfen", "lütfen"),
    "zh": ("是", "是的", "好", "好的", "要", "需要", "可以"),
}


def language_notice(code: str) -> str:
    """The notice in the language `code` (ISO 639-1), or in English when we have no
    translation (or `code` is English: an English speaker reaching this is told too)."""
    return NOTICES.get(code.lower(), ENGLISH_NOTICE)


def handover_line(code: str | None) -> str | None:
    """What to say first, in the language `code`, when the customer accepts a person;
    None for English or a language without the sentence (the English message says it)."""
    return HANDOVER_LINES.get(code.lower()) if code else None


def language_name(code: str) -> str:
    """The language's English name for staff ("es" -> "Spanish"); an unknown code as
    given, so a handoff card still shows what was detected."""
    return NAMES.get(code.lower(), code)


def says_yes(text: str, code: str | None = None) -> bool:
    """Whether `text` is a yes to the notice, in the language `code` or in English."""
    reply = _plain(text)
    return reply in _YES["en"] or (code is not None and reply in _YES.get(code.lower(), ()))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    kept = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and (ch.isalnum() or ch.isspace() or ch == "'")
    )
    return " ".join(kept.split())


_YES = {code: frozenset(map(_plain, words)) for code, words in _YES_WRITTEN.items()}
