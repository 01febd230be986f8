"""python -m bot run as an organisation starts it: settings from the
environment, against the fake Bot API server, by webhook and by polling."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys

import httpx
import pytest

from tests.conftest import PROJECT
from tests.fake_telegram import TOKEN, FakeTelegram


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def fake():
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


async def start_bot(fake: FakeTelegram, tmp_path, **settings: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "WEGWIJS_TELEGRAM_TOKEN": TOKEN, "WEGWIJS_VOLUNTEER_GROUPS": str(fake.group_id),
           "WEGWIJS_BOT_API_URL": fake.base_url, "WEGWIJS_BOT_API_FILE_URL": fake.base_file_url,
           "WEGWIJS_DATA_DIR": str(tmp_path), **settings}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=PROJECT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def stop_bot(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 20)
    return output


async def test_webhook_mode_refuses_requests_without_the_secret(fake, tmp_path):
    port = free_port()
    process = await start_bot(fake, tmp_path, WEGWIJS_WEBHOOK_URL="https://bot.example.org/telegram",
                              WEGWIJS_WEBHOOK_SECRET="a-long-enough-secret", WEGWIJS_WEBHOOK_LISTEN="127.0.0.1",
                              WEGWIJS_WEBHOOK_PORT=str(port))
    try:
        [webhook] = await fake.wait_for("setWebhook", timeout=60)
        assert webhook.params["url"] == "https://bot.example.org/telegram"
        assert webhook.params["secret_token"] == "a-long-enough-secret"
        update = fake.person_says(1, "hi")  # queued for getUpdates too, but a webhook bot does not poll
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/telegram"
            refused = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert refused.status_code == 403
            accepted = await client.post(url, content=json.dumps(update),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "a-long-enough-secret",
                                                  "Content-Type": "application/json"})
            assert accepted.status_code == 200
        [answer] = await fake.wait_for("sendMessage", chat_id=1)
        assert answer.params["text"]
    finally:
        output = await stop_bot(process)
    assert b"Traceback" not in output, output.decode()


async def test_a_failing_start_is_retried(fake, tmp_path):
    fake.fail_next("getMe", 500, "Internal Server Error", times=2)
    process = await start_bot(fake, tmp_path)
    try:
        await fake.wait_for("getUpdates", timeout=60)
        assert len(fake.calls_to("getMe")) >= 3
    finally:
        output = await stop_bot(process)
    assert b"trying again" in output
