import pytest

from bot.understanding.languages import LanguageIdentifier, script_of


@pytest.mark.parametrize(("text", "script"), [
    ("waar is het ocmw", "latin"),
    ("OCMW کجاست", "arabic"),
    ("де знаходиться OCMW", "cyrillic"),
    ("ሰላም OCMW", "ethiopic"),
    ("123 ?!", None),
])
def test_script_ignores_a_belgian_term_in_latin_letters(text, script):
    assert script_of(text) == script


@pytest.mark.parametrize(("text", "lang"), [
    ("waar kan ik een huis huren", "nl"),
    ("where can i rent a flat", "en"),
    ("ou est ce que je peux louer un appartement", "fr"),
    ("وين بلاقي بيت للإيجار", "ar"),
    ("کجا میتونم خونه اجاره کنم", "fa"),
    ("زه چیرته کور په کرایه ونیسم", "ps"),  # Pashto letters decide
    ("ኣበይ ገዛ ክረክብ እኽእል", "ti"),
    ("xaggee guri kiro ah ka heli karaa", "so"),
    ("kiralik ev nerede bulabilirim", "tr"),
    ("де можна орендувати квартиру", "uk"),  # і/є decide
    ("где можно снять квартиру", "ru"),
    ("wen bla2i bet lal ajar", "ar"),  # Arabic in Latin letters
    ("khone kojā ejare konam", "fa"),
])
def test_each_language_is_recognised_on_a_short_message(engine, text, lang):
    assert engine.languages.identify(text) == lang


def test_the_chosen_language_tips_an_ambiguous_message(engine):
    identifier = engine.languages
    assert identifier.identify("ok", chosen="fr") == "fr"
    assert identifier.identify("مرسی", chosen="fa") == "fa"
    assert identifier.identify("👍", chosen="so") == "so"


def test_a_tiny_identifier_knows_only_what_it_was_taught():
    identifier = LanguageIdentifier([("nl", "huur huis woning"), ("en", "rent house flat")])
    assert identifier.languages == {"nl", "en"}
    assert identifier.identify("huurwoning") == "nl"
    assert identifier.identify("ሰላም") is None


def test_latin_gibberish_has_no_clear_language_of_another_script(engine):
    lang, clear = engine.languages.identified("qwpoe zxmv lkjhq")
    assert not clear or lang in ("en", "nl", "fr", "tr", "so")
    assert engine.languages.identified("ana badi 2ajib mrati w wladi 3al belgique")[1]
    assert engine.languages.identified("ሰላም ከመይ ኣለኹም")[1]


def test_a_reply_to_latin_gibberish_follows_the_phone_not_a_foreign_script(assistant, store):
    person = store.person("test", "gibberish")
    [reply] = assistant.on_text(person, "qwpoe zxmv lkjhq", reported_language="nl")
    assert reply.lang == "nl"
    match = assistant.engine.understand("qwpoe zxmv lkjhq")
    assert match.as_json()["lang"] == match.lang and "reply_lang" not in match.as_json()
