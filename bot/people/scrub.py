"""Personal data out of texts kept for reports: phone numbers, e-mail
addresses, Belgian national register numbers and IBANs become placeholders.

People write these into questions ("my number is 0470 12 34 56, call me"),
in every way a phone keyboard allows: no-break spaces, en dashes, full-width
or Arabic-Indic digits, zero-width joiners, "amina at gmail dot com". What the
bot keeps to improve its answers must not carry them. The patterns lean
towards removing too much: a long number in a question is rarely what a
maintainer needs to read. Dates and case numbers are kept, as they are.

Texts are scrubbed on the event loop, so matching takes time linear in the
length of the text: every repetition is bounded, and a match can only start
where a word or a number starts.
"""

from __future__ import annotations

import re
import unicodedata

# Soft hyphen, zero-width spaces and joiners, direction marks and isolates, BOM: invisible, yet they split a number.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\ufeff\u200b-\u200f\u202a-\u202e\u2060-\u206f]")
# Digits of any script and every dash, one character for one, so that positions in the copy are positions in the text.
_TO_ASCII = re.compile("(?![0-9])\\d|[\u2010-\u2015\u2212\u2e3a\u2e3b]")

# Why a placeholder never lets its neighbours match on a second pass (scrub is idempotent): every match ends
# on a letter or digit; one that starts with a letter or sign cannot follow a letter, digit or "]" (the end
# of a placeholder); one that starts with a digit cannot follow a digit; one that ends on a letter cannot
# precede a letter, digit or "[".
_NOT_AFTER_WORD = r"(?<![\w\]])"
_NOT_AFTER_DIGIT = r"(?<![0-9])"
_NOT_BEFORE_WORD = r"(?![\w\[])"
_NOT_BEFORE_DIGIT = r"(?![0-9])"

# 85.07.30-033.28: birth date, serial number and check digits, in any spacing.
_NATIONAL = r"[0-9]{2}[ .-]?[0-9]{2}[ .-]?[0-9]{2}[ .-]?[0-9]{3}[ .-]?[0-9]{2}" + _NOT_BEFORE_DIGIT

# Case and file numbers ("dossiernummer 0012345678", "numéro de dossier ...") are kept: a maintainer needs
# them. Not when the number goes on after a space ("dossier 0470 12 34 56" may be a phone number), nor a
# national number.
_REFERENCE = (
    _NOT_AFTER_WORD
    + r"(?:(?:case|file|dossier|r[ée]f[ée]ren(?:ce|tie)|r[ée]f|kenmerk|zaak|OV|DVZ)"
    r"(?:[ -]?(?:number|nummer|nr|no|n°|num[ée]ro))?"
    r"|(?:num[ée]ro|number|nummer|nr|no|n°)\.? (?:de |du |of |van )?(?:dossier|case|file|r[ée]f[ée]rence))"
    r"[ .:#-]{0,3}(?:is |est )?(?!" + _NATIONAL + r")[0-9](?:[./-]?[0-9]){0,24}(?! ?[0-9])"
)
# So are dates, even with a number after them: "op 03/12/2024 1250 euro" holds no phone number.
_DATE = (
    _NOT_AFTER_DIGIT
    + r"(?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})|[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2})(?![./-]?[0-9])"
)


def _domain(dot: str) -> str:
    """A domain name whose labels are separated by ``dot``, ending in a top-level domain of letters."""
    return rf"[\w-]{{1,63}}(?:{dot}[\w-]{{1,63}}){{0,8}}{dot}[^\W\d_]{{2,24}}"


_SPELLED_DOT = r"(?: ?[(\[]dot[)\]] ?| dot )"
# amina.k+ocmw@gmail.com, amina @ gmail.com, amina(at)gmail.com, amina [at] gmail [dot] com, and "at" as a
# word only with "dot" as a word (amina at gmail dot com): "apply at myminfin.be" names a website.
_EMAIL = (
    r"(?<![\w.+\-\]])[\w.+-]{1,64}"
    r"(?: {0,2}(?:@|[(\[]at[)\]]) {0,2}" + _domain(rf"(?:\.|{_SPELLED_DOT})") + r"| at " + _domain(_SPELLED_DOT) + ")"
    + _NOT_BEFORE_WORD
)
# BE68 5390 0754 7034, any country's, spaced with spaces, dots or dashes; lower case only in the country and
# bank code, so that a word after the number is not taken for its last group.
_IBAN = (
    _NOT_AFTER_WORD
    + r"[a-z]{2}[0-9]{2}[ .-]?[a-z0-9]{4}(?-i:(?:[ .-]?[A-Z0-9]{4}){1,6}(?:[ .-]?[A-Z0-9]{1,3})?)"
    + _NOT_BEFORE_WORD
)
# Up to three of these between two digits: "+32 (0)470 / 12 34 56".
_GAP = r"[ ./()-]{0,3}"
# +32 470 12 34 56, 0032..., 0470/12.34.56, 02 123 45 67: nine digits or more after + or a zero; without
# them, a Belgian mobile (470 12 34 56), alone or after the country code (32 470 12 34 56).
_PHONE = (
    rf"(?:(?<![\w+\]])\+(?:{_GAP}[0-9]){{8,14}}"
    rf"|{_NOT_AFTER_DIGIT}(?:0(?:{_GAP}[0-9]){{8,14}}|32(?:{_GAP}[0-9]){{8,10}}|4[5-9][0-9](?:{_GAP}[0-9]){{6}}))"
    + _NOT_BEFORE_DIGIT
)

_PLACEHOLDERS = {"email": "[e-mail]", "iban": "[IBAN]", "national": "[national number]", "phone": "[phone]"}
# One pass, leftmost match first; at the same place, what is kept wins, then the order of _PLACEHOLDERS.
_PATTERN = re.compile(
    "|".join(rf"(?P<{name}>{pattern})" for name, pattern in [
        ("kept", f"{_REFERENCE}|{_DATE}"), ("email", _EMAIL), ("iban", _IBAN),
        ("national", _NOT_AFTER_DIGIT + _NATIONAL), ("phone", _PHONE),
    ]),
    re.IGNORECASE,
)


def _ascii(match: re.Match[str]) -> str:
    return str(int(match[0])) if match[0].isdecimal() else "-"


def scrub(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses, national register
    numbers and IBANs replaced by placeholders such as ``[phone]``.

    The rest comes back as it was matched: in Unicode NFKC (full-width
    letters and digits as ASCII, no-break spaces as spaces) and without
    invisible characters (zero-width joiners, direction marks, soft hyphens),
    which keeps scrub idempotent; other scripts' digits and dashes stay as
    typed."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    pieces, done = [], 0
    for match in _PATTERN.finditer(_TO_ASCII.sub(_ascii, text)):
        if placeholder := _PLACEHOLDERS.get(match.lastgroup):
            pieces += (text[done:match.start()], placeholder)
            done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)
