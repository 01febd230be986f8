"""Exactly once under SIGKILL, and a flood: ``python -m bot run`` as an
organisation starts it, as a subprocess, against the fake Bot API server
(tests/fake_telegram.py) run here on 127.0.0.1.

    python benchmarks/crash_rounds.py [--rounds 40] [--per-round 5] [--kill-within 1.5] [--hang-every 3]
                                      [--flood 200] [--seed 7] [--log FILE]

1. SIGKILL rounds. One bot, one data dir, one ticket (the person sent /human).
   Each round the bot is (re)started and, once it polls, the person and the
   volunteer (in the ticket's topic) each send ``--per-round`` uniquely
   numbered messages, 0-150 ms apart; at a random moment 0 to ``--kill-within``
   seconds after the round's first message the process gets SIGKILL. Every
   ``--hang-every``-th round one sendMessage hangs (HANG: never applied, never
   answered), so some kills land while a delivery waits. After the last round
   the bot runs until everything arrived (or 60 s), then gets SIGTERM.
   Counted per direction, from the lines of the bot's messages (as
   tests/test_faults.lines_in counts them): lost (never arrived) and doubled
   (arrived more than once); and every "Traceback" the bot printed, over all
   its starts. The one known window for a double: Telegram applied a send
   whose answer the bot never read (killed in between); a double is shown
   with the time from its first send to the next kill. A HANG is never
   applied, so it should never double.
2. Flood. A fresh data dir, WEGWIJS_COALESCE_SECONDS=3, one ticket; the person
   sends ``--flood`` messages as fast as they can be queued. Once the bot is
   quiet (no sendMessage for 5 s, or 60 s): how many messages the ticket's
   topic got for them, how many of the person's lines reached it, what the
   person was told (flood notices), and the bot's peak RSS (VmHWM).

Each start of the bot costs a few seconds (the knowledge base is loaded),
so 40 rounds take a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_telegram import HANG, TOKEN, FakeTelegram  # noqa: E402
from tests.telegram_bot import PERSON, VOLUNTEER  # noqa: E402
from tests.test_faults import lines_in  # noqa: E402

ALWAYS_OPEN = "mon-sun 00:00-23:59"
SEND_METHODS = ("sendMessage", "copyMessage", "forwardMessage")
FLOOD_NOTICE = "sending messages very fast"


class BotProcess:
    """``python -m bot run`` on one data dir; its output is kept over every start."""

    def __init__(self, fake: FakeTelegram, data_dir: Path, **settings: str) -> None:
        self.fake = fake
        self.env = {**os.environ, "WEGWIJS_TELEGRAM_TOKEN": TOKEN, "WEGWIJS_VOLUNTEER_GROUPS": str(fake.group_id),
                    "WEGWIJS_BOT_API_URL": fake.base_url, "WEGWIJS_BOT_API_FILE_URL": fake.base_file_url,
                    "WEGWIJS_DATA_DIR": str(data_dir), "WEGWIJS_OFFICE_HOURS": ALWAYS_OPEN, **settings}
        self.process: asyncio.subprocess.Process | None = None
        self.outputs: list[bytearray] = []  # one per start
        self.starts = 0
        self.first_call = 0  # index in fake.calls where this start's calls begin
        self._reader: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.first_call = len(self.fake.calls)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self.starts += 1
        output = bytearray()
        self.outputs.append(output)
        self._reader = asyncio.create_task(self._drain(self.process, output))

    @staticmethod
    async def _drain(process: asyncio.subprocess.Process, output: bytearray) -> None:
        while chunk := await process.stdout.read(65536):
            output += chunk

    async def ready(self, timeout: float = 60.0) -> float:
        """Wait for this start's first getUpdates (the bot polls); returns seconds since the start."""
        started = time.monotonic()
        seen = self.first_call
        while time.monotonic() - started < timeout:
            calls = self.fake.calls
            if any(call.method == "getUpdates" for call in calls[seen:]):
                return time.monotonic() - started
            seen = len(calls)
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise RuntimeError(f"the bot did not start polling (exit {self.process.returncode}):\n"
                           + self.outputs[-1].decode(errors="replace")[-3000:])

    def in_flight(self) -> int:
        """Sends of this start that Telegram has not answered (yet)."""
        return sum(call.method in SEND_METHODS and call.answer is None for call in self.fake.calls[self.first_call:])

    def peak_rss_mb(self) -> float | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found[1]) / 1024 if found else None

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean-up of any kind
        await self.process.wait()
        await self._reader

    async def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 20)
        await self._reader
        return self.process.returncode

    def output(self) -> str:
        return "".join(f"----- start {n} -----\n" + out.decode(errors="replace")
                       for n, out in enumerate(self.outputs, 1))


async def until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def open_ticket(fake: FakeTelegram) -> int:
    """The person asks for a volunteer; returns the forum topic's thread id."""
    fake.person_says(PERSON, "/human")
    await fake.wait_for("createForumTopic", timeout=60)
    [summary] = await fake.wait_for("sendMessage", chat_id=fake.group_id, timeout=60)
    return summary.params["message_thread_id"]


def visible_lines(html: str) -> list[str]:
    """The lines of a sent text as lines_in sees them (tags gone, "Name: " stripped)."""
    return [line.split(": ", 1)[-1] for line in re.sub(r"<[^>]+>", "", html).splitlines()]


def tracebacks(output: str, limit: int = 40) -> list[str]:
    """Each traceback in the output, with up to `limit` lines from its start."""
    lines = output.splitlines()
    return ["\n".join(lines[n:n + limit]) for n, line in enumerate(lines) if "Traceback" in line]


# 1. SIGKILL rounds

async def crash_rounds(args: argparse.Namespace, rng: random.Random) -> dict:
    fake = FakeTelegram()
    await fake.start()
    fake.add_member(VOLUNTEER)
    kills: list[float] = []
    kills_in_flight = 0
    hangs_planned = 0
    startup: list[float] = []
    person_texts: list[str] = []
    volunteer_texts: list[str] = []
    with tempfile.TemporaryDirectory() as data:
        bot = BotProcess(fake, Path(data), WEGWIJS_COALESCE_SECONDS="0")
        began = time.monotonic()
        await bot.start()
        startup.append(await bot.ready())
        thread = await open_ticket(fake)
        for round_no in range(args.rounds):
            if not bot.running:
                await bot.start()
                startup.append(await bot.ready())
            pending = fake._failures.get("sendMessage")  # a HANG not met yet stays planned
            if args.hang_every and round_no % args.hang_every == args.hang_every - 1 and not pending:
                fake.fail_next("sendMessage", HANG, chat_id=rng.choice([fake.group_id, PERSON]))
                hangs_planned += 1
            says = []
            for _ in range(args.per_round):
                person_texts.append(f"from the person {len(person_texts)}")
                volunteer_texts.append(f"from the volunteer {len(volunteer_texts)}")
                says += [("person", person_texts[-1]), ("volunteer", volunteer_texts[-1])]
            rng.shuffle(says)
            gaps = [rng.uniform(0, 0.150) for _ in says]

            async def send(says=says, gaps=gaps) -> None:
                for n, (who, text) in enumerate(says):
                    if n:
                        await asyncio.sleep(gaps[n])
                    if who == "person":
                        fake.person_says(PERSON, text)
                    else:
                        fake.volunteer_says(VOLUNTEER, text, thread_id=thread)

            first = time.monotonic()
            sender = asyncio.create_task(send())
            await asyncio.sleep(rng.uniform(0, args.kill_within))
            kills_in_flight += bot.in_flight() > 0
            kills.append(time.monotonic())
            await bot.kill()
            await sender  # what is left of the round is sent while the bot is down
            assert first <= kills[-1]
        leftover = sum(len(q) for q in fake._failures.values())
        fake._failures.clear()  # a HANG still planned would only slow the last start down
        final_start = time.monotonic()
        await bot.start()
        startup.append(await bot.ready())

        def arrived() -> bool:
            group, person = lines_in(fake, fake.group_id), lines_in(fake, PERSON)
            return all(group[t] for t in person_texts) and all(person[t] for t in volunteer_texts)

        converged = await until(arrived, 60)
        converge_seconds = time.monotonic() - final_start
        await asyncio.sleep(1.5)  # time for a late double to show
        peak = bot.peak_rss_mb()
        exit_code = await bot.stop()
        took = time.monotonic() - began
    hung = sum(call.method in SEND_METHODS and call.answer is None for call in fake.calls)
    await fake.stop()

    def first_send_to_next_kill(chat_id: int, text: str) -> float | None:
        for call in fake.calls:
            if call.method == "sendMessage" and call.params.get("chat_id") == chat_id and call.answer == 200 \
                    and text in visible_lines(call.params.get("text", "")):
                later = [k for k in kills if k >= call.at]
                return (later[0] - call.at) if later else None
        return None

    directions = []
    for name, chat_id, texts in (("person → volunteers", fake.group_id, person_texts),
                                 ("volunteer → person", PERSON, volunteer_texts)):
        counts = lines_in(fake, chat_id)
        doubled = [t for t in texts if counts[t] > 1]
        directions.append({
            "name": name, "sent": len(texts), "once": sum(counts[t] == 1 for t in texts),
            "lost": [t for t in texts if counts[t] == 0], "doubled": doubled,
            "max": max((counts[t] for t in texts), default=0),
            "windows": {t: first_send_to_next_kill(chat_id, t) for t in doubled},
        })
    output = bot.output()
    return {"directions": directions, "rounds": args.rounds, "kills": len(kills), "kills_in_flight": kills_in_flight,
            "hangs_planned": hangs_planned, "hangs_met": hangs_planned - leftover, "hung_calls": hung,
            "starts": bot.starts, "startup": startup, "converged": converged, "converge_seconds": converge_seconds,
            "exit_code": exit_code, "peak_mb": peak, "took": took, "output": output,
            "tracebacks": tracebacks(output), "replays": output.count("replaying"),
            "warnings": [line for line in output.splitlines() if " WARNING " in line or " ERROR " in line],
            "flood_notices": sum(FLOOD_NOTICE in t for t in fake.texts_in(PERSON))}


# 2. Flood

async def flood(args: argparse.Namespace) -> dict:
    fake = FakeTelegram()
    await fake.start()
    fake.add_member(VOLUNTEER)
    with tempfile.TemporaryDirectory() as data:
        bot = BotProcess(fake, Path(data), WEGWIJS_COALESCE_SECONDS="3")
        await bot.start()
        await bot.ready()
        thread = await open_ticket(fake)
        await asyncio.sleep(0.5)
        before_person = len(fake.calls_to("sendMessage", chat_id=PERSON))
        texts = [f"flood message {n}" for n in range(args.flood)]
        began = time.monotonic()
        for text in texts:
            fake.person_says(PERSON, text)
        queued = time.monotonic() - began

        def last_send() -> float:
            return max((c.at for c in fake.calls if c.method == "sendMessage"), default=began)

        while time.monotonic() - began < 60 and not (time.monotonic() - max(began, last_send()) >= 5):
            await asyncio.sleep(0.1)
        quiet_after = last_send() - began
        peak = bot.peak_rss_mb()
        exit_code = await bot.stop()
    await fake.stop()
    in_topic = [c for c in fake.calls if c.method in SEND_METHODS and c.params.get("chat_id") == fake.group_id
                and c.params.get("message_thread_id") == thread and c.at >= began]
    counts = lines_in(fake, fake.group_id)
    reached = [n for n, t in enumerate(texts) if counts[t]]
    to_person = fake.calls_to("sendMessage", chat_id=PERSON)[before_person:]
    output = bot.output()
    return {"sent": len(texts), "queued": queued, "topic_messages": len(in_topic),
            "topic_ok": sum(c.answer == 200 for c in in_topic),
            "lines": sum(counts[t] for t in texts), "distinct": len(reached),
            "reached": f"{reached[0]}–{reached[-1]}" if reached else "-",
            "contiguous": reached == list(range(len(reached))),
            "notices": sum(FLOOD_NOTICE in t for t in fake.texts_in(PERSON)),
            "to_person": len(to_person), "quiet_after": quiet_after, "peak_mb": peak, "exit_code": exit_code,
            "tracebacks": tracebacks(output), "output": output}


def report(crash: dict | None, flooded: dict | None) -> None:
    if crash:
        print(f"SIGKILL rounds: {crash['rounds']} rounds, {crash['kills']} kills, {crash['starts']} starts, "
              f"{crash['took']:.0f} s")
        print()
        print("| direction | sent | arrived once | lost | doubled | most copies |")
        print("|---|---:|---:|---:|---:|---:|")
        for d in crash["directions"]:
            print(f"| {d['name']} | {d['sent']} | {d['once']} | {len(d['lost'])} | {len(d['doubled'])} | {d['max']} |")
        print()
        s = crash["startup"]
        print(f"kills with a send unanswered (in flight or hanging): {crash['kills_in_flight']}")
        print(f"HANG planned: {crash['hangs_planned']}, met: {crash['hangs_met']}; "
              f"sends never answered (hung or cut by a kill): {crash['hung_calls']}")
        print(f"'replaying' logged: {crash['replays']} of {crash['starts']} starts; "
              f"flood notices to the person: {crash['flood_notices']}")
        print(f"start to first poll: median {sorted(s)[len(s) // 2]:.1f} s, max {max(s):.1f} s")
        print(f"last start: everything arrived: {crash['converged']}, "
              f"{crash['converge_seconds']:.1f} s after the spawn; "
              f"SIGTERM exit code {crash['exit_code']}; peak RSS {_mb(crash['peak_mb'])}")
        print(f"WARNING/ERROR lines in the bot's output: {len(crash['warnings'])}")
        for line in crash["warnings"][:5]:
            print(f"  {line[:200]}")
        print(f"Tracebacks in the bot's output: {len(crash['tracebacks'])}")
        for d in crash["directions"]:
            if d["lost"]:
                print(f"  {d['name']} lost: {', '.join(d['lost'])}")
            for text, window in d["windows"].items():
                when = (f"Telegram applied its first send {window * 1000:.1f} ms before a SIGKILL"
                        if window is not None else "no SIGKILL after its first send")
                print(f"  {d['name']} doubled: {text!r} ({when})")
        for tb in crash["tracebacks"][:3]:
            print("\n" + tb)
    if flooded:
        print()
        print(f"Flood: {flooded['sent']} person messages queued in {flooded['queued'] * 1000:.0f} ms, "
              "WEGWIJS_COALESCE_SECONDS=3")
        print()
        print("| flood | |")
        print("|---|---:|")
        print(f"| messages in the ticket's topic after the flood | {flooded['topic_messages']} "
              f"({flooded['topic_ok']} accepted) |")
        print(f"| person lines that reached the group | {flooded['lines']} "
              f"(distinct {flooded['distinct']}: messages {flooded['reached']}"
              f"{'' if flooded['contiguous'] else ', with gaps'}) |")
        print(f"| flood notices to the person | {flooded['notices']} |")
        print(f"| all messages to the person after the flood | {flooded['to_person']} |")
        print(f"| last sendMessage after the first flood message | {flooded['quiet_after']:.1f} s |")
        print(f"| peak RSS of the bot (VmHWM) | {_mb(flooded['peak_mb'])} |")
        print(f"| SIGTERM exit code; Tracebacks | {flooded['exit_code']}; {len(flooded['tracebacks'])} |")
        for tb in flooded["tracebacks"][:3]:
            print("\n" + tb)


def _mb(value: float | None) -> str:
    return f"{value:.0f} MB" if value is not None else "n/a"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=5, help="messages from each side per round")
    parser.add_argument("--kill-within", type=float, default=1.5, help="seconds after a round's first message")
    parser.add_argument("--hang-every", type=int, default=3, help="every n-th round one sendMessage hangs (0: none)")
    parser.add_argument("--flood", type=int, default=200, help="messages in the flood (0: no flood run)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log", type=Path, help="write the bot's whole output here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    crash = await crash_rounds(args, rng) if args.rounds else None
    flooded = await flood(args) if args.flood else None
    if args.log:
        args.log.write_text("===== SIGKILL rounds =====\n" + (crash["output"] if crash else "")
                            + "\n===== flood =====\n" + (flooded["output"] if flooded else ""))
    report(crash, flooded)


if __name__ == "__main__":
    asyncio.run(main())
