"""A server killed (SIGKILL) while a turn streams its reply: after a restart the visitor resumes, the killed
turn left nothing half-stored, and the next turn takes its number with the state it had before."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import websockets

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))
from bench.common import demo_environment, serve  # noqa: E402

pytestmark = pytest.mark.slow


class SlowModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose reply starts and then hangs, so the turn is mid-stream when killed."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"choices": [{"delta": {"content": "Night"}}]}
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()
        time.sleep(60)

    def log_message(self, *args) -> None:
        pass


async def turn(url: str, text: str, session: str = "") -> tuple[str, list[dict]]:
    """Send one message; the session id and the frames up to its `done` or `error`."""
    async with websockets.connect(url + (f"?session={session}" if session else "")) as socket:
        hello = json.loads(await socket.recv())
        if hello["resumed"]:
            json.loads(await socket.recv())  # history
        await socket.send(json.dumps({"type": "message", "text": text}))
        frames = [json.loads(await asyncio.wait_for(socket.recv(), 60))]
        while frames[-1]["type"] not in {"done", "error"}:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), 60)))
        return hello["session_id"], frames


async def cards_then_kill(url: str, session: str, text: str, server: subprocess.Popen) -> dict:
    async with websockets.connect(f"{url}?session={session}") as socket:
        await socket.recv()
        await socket.recv()
        await socket.send(json.dumps({"type": "message", "text": text}))
        cards = json.loads(await asyncio.wait_for(socket.recv(), 60))
        os.kill(server.pid, signal.SIGKILL)  # while the reply streams
        return cards


def test_a_turn_killed_mid_reply_leaves_nothing_half_stored(tmp_path):
    model = ThreadingHTTPServer(("127.0.0.1", 0), SlowModel)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    env = demo_environment(tmp_path, {"LLM_BACKEND": "template"})
    server, base = serve(env)
    url = base.replace("http", "ws") + "/ws/chat/"
    session, first = asyncio.run(turn(url, "block ads"))  # turn 1, stored whole
    server.terminate()
    server.wait(30)
    slow = {**env, "LLM_BACKEND": "openai", "LLM_OPENAI_URL": f"http://127.0.0.1:{model.server_port}/v1"}
    server, base = serve(slow)
    url = base.replace("http", "ws") + "/ws/chat/"
    try:
        cards = asyncio.run(cards_then_kill(url, session, "dark mode for websites", server))
        assert cards["type"] == "cards" and cards["turn"] == 2
        server.wait(30)
        server, base = serve(env)  # restarted
        url = base.replace("http", "ws") + "/ws/chat/"
        _, frames = asyncio.run(turn(url, "password manager", session))
        assert frames[0]["turn"] == 2 and frames[-1] == {"type": "done", "turn": 2}
    finally:
        server.kill()
        model.shutdown()
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        stored = db.execute("select turn, role, text from chatbot_message order by id").fetchall()
        state = json.loads(db.execute("select state from chatbot_conversation").fetchone()[0])
    assert [(turn_number, role) for turn_number, role, _ in stored] == [
        (1, "visitor"),
        (1, "assistant"),
        (2, "visitor"),
        (2, "assistant"),
    ]
    assert not any("dark" in text for _, _, text in stored)
    assert (
        state["turn"] == 2 and "password manager" in state["needs"] and "dark mode for websites" not in state["needs"]
    )
    assert first[-1]["type"] == "done"
