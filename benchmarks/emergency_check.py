"""What the emergency check costs: training at start-up, and per message.

    python benchmarks/emergency_check.py [--repeat 3]

Trains the learned danger model as the engine does (safety/train and the
bundled knowledge base's phrasings) and reports the time; then times, per
message, the whole check (triggers and the learned model, every sentence) and
the learned model alone, over the held-out safety messages and the
development questions (short and long, all languages): median, 95th
percentile and the slowest, in microseconds. Where sentence embeddings work
(the `embeddings` extra), the same again with them; the project's texts'
vectors are those kept in .cache/ (a first run embeds them, and its training
time says so).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.content.knowledge import load_knowledge
from bot.understanding.danger import (BUNDLED_KNOWLEDGE, MODEL_CACHE, SAFETY_DATA, DangerModel, ordinary_questions,
                                      read_safety_lines)
from bot.understanding.embeddings import EmbeddingCache, available_encoder
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
    texts = _texts()
    encoder = available_encoder()
    for with_embeddings in (False, True) if encoder else (False,):
        # The project's texts' vectors as kept in .cache/ (a first run embeds them, timed as training).
        embeddings = EmbeddingCache(encoder, MODEL_CACHE) if with_embeddings else None
        start = time.perf_counter()
        model = DangerModel.train(read_safety_lines(SAFETY_DATA / "train"), ordinary_questions(BUNDLED_KNOWLEDGE),
                                  embeddings)
        label = "with sentence embeddings" if with_embeddings else "n-grams"
        print(f"{label}: training at start-up {time.perf_counter() - start:.1f} s")
        engine = Engine(load_knowledge(BUNDLED_KNOWLEDGE).knowledge, danger=model)
        for name, check in (("whole check (triggers + model)", engine.emergency.check), ("learned model", model.assess)):
            timings = _micros(check, texts, args.repeat)
            print(f"  {name:32} {len(texts)} messages: median {statistics.median(timings):.0f} µs, "
                  f"p95 {timings[int(len(timings) * 0.95)]:.0f} µs, slowest {timings[-1]:.0f} µs")


if __name__ == "__main__":
    main()
