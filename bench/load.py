"""Many visitors at once over real websockets: the embedded default (daphne, SQLite, in-memory layer, model in
process) and `make prod` (uvicorn web processes, PostgreSQL, Redis, Chroma and llama.cpp servers), in one run.

Each visitor says a need, answers with follow-ups and "more", and reads for a random think time (exponential,
mean --think seconds) between messages. Printed per mode: refused and failed handshakes; lost, duplicated and
reordered frames; first card and first token p50/p95/p99; busy answers; template fallbacks (from /metrics);
the server's CPU in cores. Then a burst: --burst visitors send one message at the same instant.

Usage: python bench/load.py [--visitors 200] [--messages 10] [--think 10] [--burst 100] [--modes embedded,prod]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import websockets
from common import demo_environment, prod_drop_database, prod_start, prod_stop, serve, wait_ready

NEEDS = [
    "block ads and trackers",
    "my eyes hurt when I read at night",
    "remember my passwords safely",
    "translate pages into my language",
    "download videos from websites",
    "stop videos playing by themselves",
    "take a screenshot of a whole page",
    "keep my tabs organised",
]
FOLLOW_UPS = ["something free please", "it should work on every site", "simpler, please", "a more popular one"]


@dataclass
class Tally:
    handshakes_failed: int = 0
    refused: int = 0  # told "busy" at the handshake
    busy: int = 0  # a message answered "busy"
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    first_card: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)


def pct(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    ordered = sorted(samples)
    pick = [ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 for q in (0.5, 0.95, 0.99)]
    return "p50 {:.0f} / p95 {:.0f} / p99 {:.0f} ms".format(*pick)


async def turn(socket, frame: dict, tally: Tally, timeout: float) -> None:
    """Send one frame and read up to its done/error, checking order: cards, tokens, reply, question, done."""
    started = time.perf_counter()
    await socket.send(json.dumps(frame))
    order = {"cards": 0, "token": 1, "reply": 2, "question": 3, "done": 4, "error": 4}
    last, turn_number, first_token = -1, None, True
    while True:
        try:
            got = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        except (TimeoutError, websockets.ConnectionClosed):
            tally.lost += 1
            return
        kind = got["type"]
        if kind in order:
            if order[kind] < last or (turn_number is not None and got.get("turn", turn_number) not in (turn_number, 0)):
                tally.reordered += 1
            last, turn_number = max(last, order[kind]), got.get("turn", turn_number)
        if kind == "cards":
            tally.first_card.append(time.perf_counter() - started)
        elif kind == "token" and first_token:
            first_token = False
            tally.first_token.append(time.perf_counter() - started)
        elif kind in {"done", "error"}:
            if kind == "error" and got.get("code") == "busy":
                tally.busy += 1
            else:
                tally.answered += 1
            return


async def visitor(url: str, messages: int, think: float, tally: Tally, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, think))  # arrivals spread over one think time
    try:
        async with websockets.connect(url, open_timeout=30, max_size=2**22) as socket:
            session = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if session["type"] == "error":
                tally.refused += 1
                return
            for n in range(messages):
                if n == 0:
                    frame = {"type": "message", "text": rng.choice(NEEDS)}
                elif n % 3 == 2:
                    frame = {"type": "more"}
                else:
                    frame = {"type": "message", "text": rng.choice(FOLLOW_UPS)}
                await turn(socket, frame, tally, timeout=180)
                await asyncio.sleep(rng.expovariate(1 / think))
            try:  # anything more after the last done would be a duplicate
                await asyncio.wait_for(socket.recv(), 0.5)
                tally.duplicated += 1
            except TimeoutError:
                pass
    except (OSError, websockets.InvalidHandshake, TimeoutError):
        tally.handshakes_failed += 1


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def cpu_seconds(pid: int) -> float:
    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


async def crowd(url: str, args: argparse.Namespace, tally: Tally) -> None:
    rng = random.Random(7)
    await asyncio.gather(
        *(visitor(url, args.messages, args.think, tally, random.Random(rng.random())) for _ in range(args.visitors))
    )


async def burst(url: str, count: int, tally: Tally) -> None:
    sockets = []
    for _ in range(count):
        try:
            socket = await websockets.connect(url, open_timeout=30)
            await socket.recv()
            sockets.append(socket)
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            tally.handshakes_failed += 1
    rng = random.Random(3)
    await asyncio.gather(
        *(turn(socket, {"type": "message", "text": rng.choice(NEEDS)}, tally, 300) for socket in sockets)
    )
    await asyncio.gather(*(socket.close() for socket in sockets))


def run_mode(mode: str, args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f"concierge-load-{mode}-"))
    env: dict = {}
    # Every simulated visitor comes from this one address: the per-address cap would refuse most of them.
    extra = {"CHAT_MAX_CONNECTIONS_PER_IP": "100000", **dict(setting.split("=", 1) for setting in args.set)}
    if mode == "prod":
        server, url, env = prod_start(scratch, web_workers=args.web_workers, extra=extra)
    else:
        server, url = serve(demo_environment(scratch, extra), scratch / "server.log")
    try:
        ready = wait_ready(url, timeout=600)
        if ready.get("status") != "ready" and mode == "prod":
            print(f"{mode}: not ready: {ready}")
            return
        ws_url = url.replace("http", "ws") + "/ws/chat/"
        asyncio.run(burst(ws_url, 2, Tally()))  # one turn per process loads what a first turn loads
        before, cpu_before, wall = httpx.get(f"{url}/metrics").text, cpu_seconds(server.pid), time.perf_counter()
        tally = Tally()
        asyncio.run(crowd(ws_url, args, tally))
        wall, cpu = time.perf_counter() - wall, cpu_seconds(server.pid) - cpu_before
        after = httpx.get(f"{url}/metrics").text
        fallbacks = metric(after, "concierge_chat_template_fallbacks_total") - metric(
            before, "concierge_chat_template_fallbacks_total"
        )
        sent = args.visitors * args.messages
        print(
            f"{mode}: {args.visitors} visitors x {args.messages} messages in {wall:.0f} s: "
            f"handshakes failed {tally.handshakes_failed}, refused {tally.refused}; answered {tally.answered}/{sent}, "
            f"busy {tally.busy}, lost {tally.lost}, duplicated {tally.duplicated}, reordered {tally.reordered}"
        )
        print(f"  first card {pct(tally.first_card)}; first token {pct(tally.first_token)}")
        print(f"  template fallbacks {fallbacks:.0f} of {tally.answered}; server CPU {cpu / wall:.2f} cores")
        if args.burst:
            burst_tally = Tally()
            asyncio.run(burst(ws_url, args.burst, burst_tally))
            print(
                f"  burst of {args.burst}: answered {burst_tally.answered}, busy {burst_tally.busy}, "
                f"lost {burst_tally.lost}, failed handshakes {burst_tally.handshakes_failed}; "
                f"first card {pct(burst_tally.first_card)}"
            )
    finally:
        if mode == "prod":
            survivors = prod_stop(server)
            prod_drop_database(env["DATABASE_URL"])
            print(f"  stopped: {survivors or 'nothing left running'}")
        else:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds between a visitor's messages")
    parser.add_argument("--burst", type=int, default=100, help="visitors sending one message at the same instant")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--modes", default="embedded,prod")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for the servers")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        run_mode(mode, args)


if __name__ == "__main__":
    main()
