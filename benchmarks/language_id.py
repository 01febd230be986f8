"""Language identification: our knowledge-trained identifier against py3langid
(restricted to the languages it knows of ours), accuracy per language and speed.

    pip install py3langid   # or: pip install -e '.[bench]'
    python benchmarks/language_id.py [FILE.jsonl]   (default ../shared/eval/dev.jsonl)
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.understanding.engine import Engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "eval" / "dev.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ours = Engine.from_directory(ROOT / "knowledge").languages
    identifiers = {"wegwijs": lambda text: ours.identify(text)}
    try:
        from py3langid import langid

        # Restricted to the nine of our languages it knows (not Tigrinya, not Somali).
        langid.set_languages(["nl", "en", "fr", "ar", "fa", "ps", "tr", "uk", "ru"])
        identifiers["py3langid"] = lambda text: langid.classify(text)[0]
    except ImportError:
        print("py3langid is not installed: only our identifier is measured")

    totals = Counter(item["lang"] for item in items)
    print(f"{len(items)} texts from {path.name}\n")
    print("| identifier | " + " | ".join(sorted(totals)) + " | all | µs/text |")
    print("|---" * (len(totals) + 3) + "|")
    for name, identify in identifiers.items():
        right: Counter[str] = Counter()
        start = time.perf_counter()
        for item in items:
            right[item["lang"]] += identify(item["text"]) == item["lang"]
        elapsed = (time.perf_counter() - start) / len(items) * 1e6
        cells = [f"{100 * right[lang] / totals[lang]:.0f}%" for lang in sorted(totals)]
        print(f"| {name} | " + " | ".join(cells) + f" | {100 * sum(right.values()) / len(items):.1f}% | {elapsed:.0f} |")


if __name__ == "__main__":
    main()
