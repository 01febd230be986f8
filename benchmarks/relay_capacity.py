"""How many tickets can be active at once in one volunteers' group before a
person's message waits more than 10 seconds to reach the volunteers?

Telegram lets a bot send about 20 messages a minute into one group, and every
ticket's topic lives in that group. This runs the real Application, relay and
python-telegram-bot rate limiter against the fake Bot API server, with time
compressed SCALE times (the limiter's minute, the coalescing pause and the
people's typing all run SCALE times faster); waits are reported in real
seconds.

    python benchmarks/relay_capacity.py [--tickets 5 10 15 20 30] [--every 30] [--minutes 3]

Each person writes a message every --every seconds (with jitter) for
--minutes; a person's burst within the coalescing pause (3 s) becomes one
message. More groups (WEGWIJS_VOLUNTEER_GROUPS routing) multiply the capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter  # noqa: E402

from bot.assistant import Assistant  # noqa: E402
from bot.understanding.engine import Engine  # noqa: E402
from bot.settings import OfficeHours, Settings, VolunteerGroup  # noqa: E402
from bot.people.store import Store  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

SCALE = 20.0
GROUP_MESSAGES_PER_MINUTE = 20
COALESCE_SECONDS = 3.0


async def simulate(engine: Engine, tickets: int, every: float, minutes: float) -> list[float]:
    """Real-time waits (seconds) of every person message on its way to the group."""
    fake = FakeTelegram()
    await fake.start()
    with tempfile.TemporaryDirectory() as data:
        store = Store(Path(data) / "capacity.sqlite3")
        always = OfficeHours(days=frozenset(range(7)), opens=dt.time(0), closes=dt.time(23, 59))
        settings = Settings(token=TOKEN, groups=(VolunteerGroup(fake.group_id),), admins=frozenset(),
                            data_dir=Path(data), office_hours=always, coalesce_seconds=COALESCE_SECONDS / SCALE,
                            api_base_url=fake.base_url, api_file_url=fake.base_file_url)
        limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=GROUP_MESSAGES_PER_MINUTE,
                                 group_time_period=60 / SCALE, max_retries=3)
        application = build_application(settings, Assistant(engine, store, office_hours=always), store,
                                        rate_limiter=limiter)
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        people = [20_000 + n for n in range(tickets)]
        for person in people:
            fake.person_says(person, "/human")
        # Every ticket's topic and summary are in place before the clock starts.
        await fake.wait_for("sendMessage", count=tickets, chat_id=fake.group_id, timeout=600)
        rng = random.Random(5)
        plan = sorted((rng.uniform(0, every) + k * every, person)
                      for person in people for k in range(int(minutes * 60 / every)))
        injected: dict[str, float] = {}
        start = time.monotonic()
        for number, (at, person) in enumerate(plan):
            await asyncio.sleep(max(0.0, start + at / SCALE - time.monotonic()))
            token = f"m{number}"
            injected[token] = time.monotonic()
            fake.person_says(person, f"question {token} about my letter")
        relayed = await fake.wait_for("sendMessage", count=tickets + len(plan) // 2, chat_id=fake.group_id,
                                      timeout=900)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            relayed = fake.calls_to("sendMessage", chat_id=fake.group_id)
            seen = {word for call in relayed for word in call.params["text"].split() if word in injected}
            if len(seen) == len(plan):
                break
            await asyncio.sleep(0.2)
        arrived = {}
        for call in relayed:
            for word in call.params["text"].split():
                if word in injected and word not in arrived:
                    arrived[word] = call.at
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await fake.stop()
        store.close()
    return [(arrived[t] - injected[t]) * SCALE for t in injected if t in arrived]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, nargs="+", default=[5, 10, 15, 20, 30])
    parser.add_argument("--every", type=float, default=30.0, help="seconds between a person's messages")
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    engine = Engine.from_directory(ROOT / "knowledge")
    print(f"one group, {GROUP_MESSAGES_PER_MINUTE} messages/min, a message every {args.every:.0f} s per person, "
          f"{args.minutes:.0f} min, coalescing {COALESCE_SECONDS:.0f} s\n")
    print("| active tickets | messages | p50 wait s | p99 wait s | max wait s |")
    print("|---:|---:|---:|---:|---:|")
    carried = 0
    for tickets in args.tickets:
        waits = sorted(await simulate(engine, tickets, args.every, args.minutes))
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        print(f"| {tickets} | {len(waits)} | {statistics.median(waits):.1f} | {p99:.1f} | {waits[-1]:.1f} |", flush=True)
        if waits[-1] <= 10:
            carried = tickets
    print(f"\nlargest load tried with no message waiting over 10 s: {carried} active tickets per group")


if __name__ == "__main__":
    asyncio.run(main())
