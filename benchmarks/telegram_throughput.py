"""Throughput of the whole Telegram path: the real python-telegram-bot
Application, polling a fake Bot API server on 127.0.0.1, answering text
questions from many chats through the engine and the store.

    python benchmarks/telegram_throughput.py [--chats 300] [--per-chat 10] [--rate 150]

The fake server and the people sending questions run in a second process,
as Telegram would be another machine; the bot runs here, in one process.
Two runs: a burst (every update queued at once: updates per second), and a
steady rate (latency from update to the sendMessage that answers it, as a
person would feel it). Telegram's own send limit (about 30 messages a
second per bot) is switched off, to measure what this process can carry.
Peak memory is the bot's process: engine, store and Application.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing import Process, Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter  # noqa: E402

from bot.assistant import Assistant  # noqa: E402
from bot.understanding.engine import Engine  # noqa: E402
from bot.settings import OfficeHours, Settings, VolunteerGroup  # noqa: E402
from bot.people.store import Store  # noqa: E402
from bot.telegram.app import build_application, use_fast_event_loop  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402


def questions(engine: Engine, count: int, rng: random.Random) -> list[str]:
    phrasings = [q for e in engine.knowledge.entries.values() if e.kind == "answer"
                 for qs in e.questions.values() for q in qs]
    return [rng.choice(phrasings) for _ in range(count)]


def telegram_side(texts: list[str], chats: int, rate: float | None, to_bot: Queue, results: Queue) -> None:
    """In its own process, as Telegram would be: the fake server, the people
    sending the questions, and the clock that times the answers."""

    async def serve() -> None:
        fake = FakeTelegram(strict=False)  # Telegram checks texts on its own servers
        await fake.start()
        to_bot.put((fake.base_url, fake.base_file_url))
        sent_at: dict[int, list[float]] = {}
        started = time.monotonic()
        for n, text in enumerate(texts):
            chat = 10_000 + n % chats
            sent_at.setdefault(chat, []).append(time.monotonic())
            fake.person_says(chat, text)
            if rate:
                await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
        replies = await fake.wait_for("sendMessage", count=len(texts), timeout=600)
        finished = max(call.at for call in replies)
        latencies = []
        for chat, times in sent_at.items():
            answered = sorted(call.at for call in replies if call.params["chat_id"] == chat)
            latencies += [(a - s) * 1000 for s, a in zip(times, answered)]
        latencies.sort()
        results.put({
            "updates": len(texts),
            "per_second": len(texts) / (finished - started),
            "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        })
        await asyncio.sleep(0.5)  # let the bot's last requests finish before the server goes
        await fake.stop()

    asyncio.run(serve())


async def measure(engine: Engine, chats: int, per_chat: int, rate: float | None) -> dict:
    texts = questions(engine, chats * per_chat, random.Random(11))
    to_bot, results = Queue(), Queue()
    telegram = Process(target=telegram_side, args=(texts, chats, rate, to_bot, results))
    telegram.start()
    base_url, file_url = to_bot.get(timeout=30)
    with tempfile.TemporaryDirectory() as data:
        store = Store(Path(data) / "bench.sqlite3")
        always = OfficeHours(days=frozenset(range(7)), opens=dt.time(0), closes=dt.time(23, 59))
        settings = Settings(token=TOKEN, groups=(VolunteerGroup(-1001000000001),), admins=frozenset(),
                            data_dir=Path(data), office_hours=always, api_base_url=base_url, api_file_url=file_url)
        application = build_application(settings, Assistant(engine, store, office_hours=always), store,
                                        rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0))
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        result = await asyncio.to_thread(results.get, True, 600)
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        store.close()
    telegram.join(timeout=30)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--rate", type=float, default=150.0, help="updates per second in the steady run")
    parser.add_argument("--bursts", type=int, default=3, help="burst runs (a shared machine is noisy: the median counts)")
    args = parser.parse_args()
    engine = Engine.from_directory(ROOT / "knowledge", conversations=ROOT / "conversations")
    bursts = [await measure(engine, args.chats, args.per_chat, None) for _ in range(args.bursts)]
    steady = await measure(engine, args.chats, max(1, args.per_chat // 2), args.rate)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| run | updates | updates/s | p50 ms update→sendMessage | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    rows = [(f"burst {n}", row) for n, row in enumerate(bursts, 1)] + [(f"steady {args.rate:.0f}/s", steady)]
    for name, row in rows:
        print(f"| {name} | {row['updates']} | {row['per_second']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} |")
    print(f"\nbursts: median {statistics.median(row['per_second'] for row in bursts):.0f} updates/s")
    print(f"\npeak memory of the bot process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    use_fast_event_loop()  # as python -m bot run does
    asyncio.run(main())
