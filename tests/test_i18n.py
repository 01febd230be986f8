import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR, available_interface_languages, fallback_chain, negotiate, translator


def catalog(lang):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=lang)


def template_ids():
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        return {m.id for m in read_po(pot) if m.id}


def test_every_language_has_a_catalog():
    from bot.understanding.languages import LANGUAGES

    assert set(available_interface_languages()) == set(LANGUAGES)


@pytest.mark.parametrize("lang", available_interface_languages())
def test_every_catalog_is_complete_and_keeps_the_placeholders(lang):
    strings = {m.id: m.string for m in catalog(lang) if m.id}
    assert template_ids() <= set(strings), "run 'make catalogs'"
    missing = [msgid for msgid, text in strings.items() if not text]
    assert missing == []
    for msgid, text in strings.items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", text)), msgid


def test_the_template_holds_every_string_of_the_code(tmp_path):
    from babel.messages.extract import extract_from_dir

    found = {message[2] for message in extract_from_dir(LOCALE_DIR.parent, keywords={"gettext": None})}
    assert {m if isinstance(m, str) else m[0] for m in found} <= template_ids(), "run 'make catalogs'"


def test_translator_formats_and_falls_back_to_english():
    assert translator("nl").gettext("Language set to {language}. Ask your question.", language="Nederlands") \
        == "De taal is nu Nederlands. Stel je vraag."
    assert translator("ti").gettext("A sentence no catalog has") == "A sentence no catalog has"
    assert translator("ti").gettext("Did you mean:") != "Did you mean:"
    assert translator("nl-BE").lang == "nl"


def test_telegram_codes_are_negotiated():
    assert negotiate("fa-AF") == negotiate("prs") == "fa"
    assert negotiate("uk") == "uk" and negotiate("pt-BR") is None and negotiate(None) is None
    assert fallback_chain("prs") == ["prs", "fa", "en", "nl"]
