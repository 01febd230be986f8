"""Text normalisation for matching: one canonical form per script.

People type the same word in many ways: with or without accents, with Persian
or Arabic letter variants, with tashkeel, tatweel, zero-width joiners or
Arabic-Indic digits. Matching compares the folded forms only.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that change nothing a reader sees: joiners, direction marks, BOM.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070)],
    None,
)

_LETTER_VARIANTS = str.maketrans(
    {
        "ی": "ي",  # Persian yeh
        "ى": "ي",  # alef maksura
        "ۍ": "ي",  # Pashto yeh with tail: folded for matching only
        "ې": "ي",  # Pashto yeh
        "ک": "ك",  # Persian keheh
        "ګ": "گ",  # Pashto gaf
        "ة": "ه",
        "ۀ": "ه",
        "ٱ": "ا",
        "ـ": None,  # tatweel
        "ı": "i",  # Turkish dotless i
        "ё": "е",
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)

_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Return the matching form of ``text``: lower case, no accents or marks,
    one letter per Arabic-script variant, ASCII digits, words separated by
    single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    # NFD splits accents, hamza, madda and tashkeel into combining marks, dropped here.
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = unicodedata.normalize("NFC", text).translate(_LETTER_VARIANTS)
    return _NON_WORD.sub(" ", text).strip()


def clean(text: str) -> str:
    """Return ``text`` in NFKC with invisible characters removed and lower case,
    keeping accents and letter variants (language identification needs them)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return " ".join(text.split())
