"""Interface languages: gettext catalogs (Babel .po files), native names,
text direction and negotiation of the language codes Telegram reports."""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterable
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.understanding.languages import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

# Codes people's phones report that we serve with another language.
_ALIASES = {"prs": "fa", "fa_af": "fa", "fa-af": "fa", "fas": "fa", "per": "fa", "pus": "ps", "tir": "ti", "som": "so"}

# When an answer is missing in a language, try these before English and Dutch.
_FALLBACKS = {"prs": ["fa"]}


def negotiate(code: str | None) -> str | None:
    """Map a language code such as Telegram's ``fa-AF``, ``prs`` or ``nl-BE``
    to one of ours, or None when we do not serve it."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in _ALIASES:
        return _ALIASES[code]
    base = code.split("-")[0]
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else None


def fallback_chain(lang: str) -> list[str]:
    """Languages to try for content, in order: the language itself, a close
    relative (Dari → Persian), then English and Dutch."""
    chain = [lang, *_FALLBACKS.get(lang, []), "en", "nl"]
    return list(dict.fromkeys(chain))


def best_available(lang: str, available: Iterable[str]) -> str:
    """The language of ``available`` (not empty) to show a reader of ``lang``:
    the first of its fallback chain, or else the first available."""
    available = list(available)
    return next((code for code in fallback_chain(lang) if code in available), available[0])


@functools.cache
def native_name(lang: str) -> str:
    """The language's name in itself, e.g. ``العربية`` for ``ar``."""
    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (UnknownLocaleError, ValueError):
        return lang
    return name[:1].upper() + name[1:]


@functools.cache
def text_direction(lang: str) -> str:
    """``rtl`` or ``ltr``."""
    try:
        return Locale.parse(lang).text_direction
    except (UnknownLocaleError, ValueError):
        return "ltr"


class Translator:
    """Interface strings of one language, with English behind it."""

    def __init__(self, lang: str, translations: gettext.NullTranslations):
        self.lang = lang
        self._translations = translations

    def gettext(self, message: str, **values: object) -> str:
        text = self._translations.gettext(message)
        return text.format(**values) if values else text


def _load_catalog(lang: str) -> gettext.NullTranslations | None:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return None
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    # Compiled in memory: no build step, and .mo files never go stale.
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.cache
def translator(lang: str) -> Translator:
    """The translator for ``lang`` (any code ``negotiate`` accepts), falling
    back to English for strings not yet translated."""
    lang = negotiate(lang) or "en"
    translations = _load_catalog(lang) or gettext.NullTranslations()
    if lang != "en":
        english = _load_catalog("en")
        if english is not None:
            translations.add_fallback(english)
    return Translator(lang, translations)


def available_interface_languages() -> list[str]:
    """Languages that have a catalog."""
    return [lang for lang in LANGUAGES if (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").exists()]
