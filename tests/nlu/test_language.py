"""Language detection with the real lingua models (bench/languages.py measures the
thresholds on 3,536 English messages and the written non-English set)."""

from __future__ import annotations

import pytest

from nlu import DEMO_DATA_DIR, load_training_data
from nlu.language import CUSTOMER_LANGUAGES, DetectedLanguage, LanguageDetector
from nlu.spelling import SpellingCorrector
from tests.support.help_texts import faq_questions, written_languages


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize("text", ["", "ok", "4417", "hi!", "#A-1029", "👍🙂", "?!", "ty"])
def test_too_little_to_tell_is_none(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == DetectedLanguage(None, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "hwo do i rset my pasword",
        "can i retrun a jacket that doesnt fit",
        "heya",
        "ttyl",
        "cheers",
        "resubscribe me",
        "where's my stuff lol",
        "can u help pls",
        "my parcel never came mate",
        "order 4417 pls",
        "WHERE IS MY PAKAGE",
    ],
)
def test_short_slangy_english_is_never_another_language(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text).code in (None, "en")


def test_no_english_support_message_is_taken_for_another_language(
    detector: LanguageDetector,
) -> None:
    """Every training example and FAQ question (measured: none, with the shipped
    threshold; the closest was "resubscribe me", Dutch at 0.57)."""
    texts = [e.text for e in load_training_data([DEMO_DATA_DIR]).examples] + faq_questions()
    foreign = {t: detector.detect(t) for t in texts if detector.detect(t).code not in (None, "en")}
    assert foreign == {}


def test_most_written_customer_messages_get_their_language(detector: LanguageDetector) -> None:
    """The 142 written messages: measured recall 41/44 Romance (38 before English ruled
    out counted: short French and Portuguese sentences stay under the threshold), 32/32
    Germanic, 30/30 Slavic, 36/36 others, and never a wrong code. The bound, 85% per
    family, leaves room for a model update without letting a family quietly fall out."""
    families, messages = written_languages()
    for family, codes in families.items():
        found = [(code, detector.detect(text).code) for code in codes for text in messages[code]]
        wrong = [(code, got) for code, got in found if got not in (None, code)]
        right = sum(code == got for code, got in found)
        assert wrong == [], family
        assert right >= 0.85 * len(found), (family, right, len(found))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hola, dónde está mi pedido?", "es"),
        ("Wo ist meine Bestellung?", "de"),
        ("je voudrais retourner ma veste", "fr"),
        ("運費是多少", "zh"),
        ("まだ荷物が届いていません", "ja"),
        ("где мой заказ?", "ru"),
        ("dziękuję", "pl"),  # one word, but unmistakable
        ("where is my order", "en"),
    ],
)
def test_clear_messages_get_their_code(detector: LanguageDetector, text: str, code: str) -> None:
    detected = detector.detect(text)
    assert detected.code == code
    assert 0.0 < detected.confidence <= 1.0


@pytest.fixture(scope="module")
def corrector() -> SpellingCorrector:
    return SpellingCorrector.build([e.text for e in load_training_data([DEMO_DATA_DIR]).examples])


def test_typos_that_look_foreign_are_settled_by_the_corrected_text(
    detector: LanguageDetector, corrector: SpellingCorrector
) -> None:
    """ "no moree promotionaal messages" reads as Dutch (0.71) and "new tickte" as
    German (0.77); corrected, both read as English, so no foreign language is named."""
    for typed in ("no moree promotionaal messages", "new tickte"):
        assert detector.detect(typed).code not in (None, "en")
        corrected = corrector.correct(typed).text
        assert detector.detect(typed, corrected=corrected).code is None


def test_a_foreign_message_survives_its_english_correction(
    detector: LanguageDetector, corrector: SpellingCorrector
) -> None:
    """Corrected as if English, "ich habe mein Passwort vergessen" becomes "rich have
    ... Passwort vergessen": still not English, so German stands."""
    text = "ich habe mein Passwort vergessen"
    corrected = corrector.correct(text).text
    assert corrected != text
    assert detector.detect(text, corrected=corrected).code == "de"


@pytest.mark.parametrize(
    ("text", "code"),
    [("ciao, posso pagare con paypal?", "it"), ("puis-je payer avec paypal ?", "fr")],
)
def test_a_language_far_ahead_with_english_ruled_out_is_named(
    detector: LanguageDetector, text: str, code: str
) -> None:
    """Below the threshold (Italian 0.58, French 0.50), but English is at 0.05 and the
    next language three times behind."""
    assert detector.detect(text).code == code


@pytest.mark.parametrize("text", ["¿Puedo devolver unas botas?", "¡Hola! ¿tienen tallas grandes?"])
def test_spanish_punctuation_lets_a_shorter_spanish_message_be_named(
    detector: LanguageDetector, text: str
) -> None:
    """lingua gives these 0.69 and 0.62 (below the 0.7 other languages need); the
    inverted marks are Spanish only."""
    found = detector.detect(text)
    assert found.code == "es" and found.confidence < 0.7


def test_a_lone_ambiguous_word_is_none(detector: LanguageDetector) -> None:
    """lingua gives "hej" to Polish (0.62) and "danke" to German at 0.41: a single word
    needs a confidence of 0.9."""
    assert detector.detect("hej").code is None
    assert detector.detect("danke").code is None


def test_languages_are_a_choice_that_must_include_english() -> None:
    assert LanguageDetector(["en", "es"]).languages == ("en", "es")
    assert "en" in CUSTOMER_LANGUAGES
    with pytest.raises(ValueError, match="English"):
        LanguageDetector(["es", "fr"])
