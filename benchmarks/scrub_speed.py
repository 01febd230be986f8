"""Speed of scrubbing personal data (bot/people/scrub.py), which runs on the event
loop for every question kept: microseconds per call for typical questions and
for single words of 4,096 and 65,536 characters, the longest a pattern could
backtrack over.

    python benchmarks/scrub_speed.py [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.people.scrub import scrub  # noqa: E402

TYPICAL = [
    "Hoeveel is de huurwaarborg voor een appartement in Gent?",
    "bel me op 0470 12 34 56 of mail amina.k@gmail.com",
    "I got a letter from 03/12/2024 about 1250 euro, case number 0012345678, what do I do?",
    "كم 2000 يورو بدي ادفع للمحامي؟ رقمي ٠٤٧٠١٢٣٤٥٦",
]
# A word of letters, one of digits, one of the characters of e-mail addresses, one of an IBAN's.
WORDS = {"letters": "a", "digits": "1", "e-mail characters": "a.b@", "IBAN characters": "BE68"}


def microseconds(text: str, seconds: float) -> float:
    """Microseconds per call of scrub(text), the best of three runs of about ``seconds`` each."""
    calls = max(1, int(seconds / _once(text)))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            scrub(text)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def _once(text: str) -> float:
    start = time.perf_counter()
    scrub(text)
    return max(time.perf_counter() - start, 1e-7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time spent on each text, per run")
    seconds = parser.parse_args().seconds
    print("| text | characters | µs per call |\n|---|---:|---:|")
    for text in TYPICAL:
        print(f"| {text[:40]}… | {len(text)} | {microseconds(text, seconds):.1f} |")
    for name, unit in WORDS.items():
        for length in (4_096, 65_536):
            word = (unit * length)[:length]
            print(f"| one word of {name} | {length:,} | {microseconds(word, seconds):,.0f} |")


if __name__ == "__main__":
    main()
