"""Personal data out of texts kept for reports: phone numbers, e-mail
addresses, Belgian national register numbers and IBANs become placeholders.

People write these into questions ("my number is 0470 12 34 56, call me").
What the bot keeps to improve its answers must not carry them. The patterns
lean towards removing too much: a long number in a question is rarely what
a maintainer needs to read.
"""

from __future__ import annotations

import re

# \d also matches Arabic-Indic and Persian digits, which people type too.
_PATTERNS = (
    ("[e-mail]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # BE68 5390 0754 7034, or any country's IBAN, with or without spaces.
    ("[IBAN]", re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?(?:\d{4}|[A-Z0-9]{4})){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")),
    # 85.07.30-033.28: birth date, serial number and check digits, in any spacing.
    ("[national number]", re.compile(r"(?<!\d)\d{2}[. ]?\d{2}[. ]?\d{2}[-. ]?\d{3}[. ]?\d{2}(?!\d)")),
    # +32 470 12 34 56, 0032..., 0470/12.34.56, 02 123 45 67: nine digits or more after + or a zero.
    ("[phone]", re.compile(r"(?<![\w+])[+0٠۰](?:[ ./()-]*\d){8,14}(?!\d)")),
)


def scrub(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses, national register
    numbers and IBANs replaced by placeholders such as ``[phone]``."""
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
