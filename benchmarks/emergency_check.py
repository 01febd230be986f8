"""What the emergency check costs: training at start-up, and per message.

    python benchmarks/emergency_check.py [--repeat 3]

Trains the learned danger model as the engine does (safety/train and the
bundled knowledge base's phrasings) and reports the time; then times, per
message, the whole check (triggers and the learned model, every sentence) and
the learned model alone, over the held-out safety messages and the
development questions (short and long, all languages): median, 95th
percentile and the slowest, in microseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.understanding.danger import BUNDLED_KNOWLEDGE, SAFETY_DATA, _trained, load_danger_model
from bot.understanding.engine import Engine

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for path in sorted((SAFETY_DATA / "heldout").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    if DEV.exists():
        texts += [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()]
    return texts


def _micros(check, texts: list[str], repeat: int) -> list[float]:
    """Each text's fastest of ``repeat`` rounds over all texts (never the same text twice in a
    row: the detector remembers its last message)."""
    best = [float("inf")] * len(texts)
    for _ in range(repeat):
        for i, text in enumerate(texts):
            start = time.perf_counter()
            check(text)
            best[i] = min(best[i], (time.perf_counter() - start) * 1e6)
    return sorted(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _trained.cache_clear()
    start = time.perf_counter()
    model = load_danger_model(SAFETY_DATA / "train", BUNDLED_KNOWLEDGE, cache=None)
    print(f"training at start-up: {time.perf_counter() - start:.1f} s")
    engine = Engine.from_directory(BUNDLED_KNOWLEDGE, conversations=BUNDLED_KNOWLEDGE.parent / "conversations")
    texts = _texts()
    for name, check in (("whole check (triggers + model)", engine.emergency.check), ("learned model", model.assess)):
        timings = _micros(check, texts, args.repeat)
        print(f"{name:32} {len(texts)} messages: median {statistics.median(timings):.0f} µs, "
              f"p95 {timings[int(len(timings) * 0.95)]:.0f} µs, slowest {timings[-1]:.0f} µs")


if __name__ == "__main__":
    main()
