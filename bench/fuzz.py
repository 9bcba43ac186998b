"""Generated frames over real websockets against a live server: valid, odd and broken, pipelined by several
visitors at once. Counts what came back: every frame must get exactly one `done` or `error`, never
`server_error`, no connection may drop, and afterwards every conversation still answers a real need.
Then one connection pipelines --flood frames of 1 MB: each is refused on arrival (`bad_frame`), and the
server's memory growth is printed.

Usage: python bench/fuzz.py [--frames 10000] [--visitors 20] [--seed 1] [--flood 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil
import websockets
from common import demo_environment, serve, wait_ready

TYPES = ["message", "feedback", "answer", "more", "reset", "tune", "nonsense", ""]
TEXTS = ["block ads", "dark mode", "", " ", "a" * 1001, "vpn \ud800", "nul\x00", "<script>x</script>", "😀" * 30]


def value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 2**63, 10**50, 1.5, float("inf")])
    if kind in (3, 4, 5):
        return rng.choice(TEXTS + [chr(rng.randrange(1, 0x10FFFF)) * rng.randrange(1, 5)])
    if kind in (6, 7):
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["type", "text", "value", "slug", "x"]): value(rng, depth + 1) for _ in range(rng.randrange(4))}


def frame(rng: random.Random) -> str:
    """One generated frame as sent: mostly JSON objects with real and odd fields, some not JSON at all."""
    roll = rng.random()
    if roll < 0.05:
        return "[" * 3000 + "]" * 3000
    if roll < 0.1:
        return '{"type": "message", "text": "x", "n": ' + "9" * 5000 + "}"
    if roll < 0.15:
        return rng.choice(["not json", "{", '"just a string"', "null", "[]", "{}"])
    body = {"type": rng.choice(TYPES)}
    for key in rng.sample(["text", "value", "slug", "question_id", "option", "params"], rng.randrange(4)):
        body[key] = rng.choice([value(rng), rng.choice(TEXTS), rng.choice(["up", "down", "satisfied"])])
    raw = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot travel as text: send it \u-escaped, as a browser would
        raw = json.dumps(body)
    return raw


async def visitor(url: str, frames: list[str], counts: Counter) -> None:
    try:
        async with websockets.connect(url, max_size=2**22) as socket:
            json.loads(await socket.recv())
            for raw in frames:
                await socket.send(raw)
                while True:
                    got = json.loads(await asyncio.wait_for(socket.recv(), 120))
                    if got["type"] == "done":
                        counts["done"] += 1
                        break
                    if got["type"] == "error":
                        counts[got["code"]] += 1
                        break
            await socket.send(json.dumps({"type": "message", "text": "block ads on every site"}))
            replies = []
            while not replies or replies[-1]["type"] not in {"done", "error"}:
                replies.append(json.loads(await asyncio.wait_for(socket.recv(), 120)))
            counts["usable afterwards" if replies[0]["type"] == "cards" else "unusable afterwards"] += 1
    except (OSError, websockets.ConnectionClosed, TimeoutError) as error:
        counts[f"dropped: {type(error).__name__}"] += 1


async def flood(url: str, frames: int, size: int, counts: Counter) -> None:
    """One connection pipelines `frames` frames of `size` bytes without waiting, then reads every answer."""
    async with websockets.connect(url, max_size=2**22, write_limit=2**26) as socket:
        await socket.recv()
        payload = json.dumps({"type": "message", "text": "x" * size})
        for _ in range(frames):
            await socket.send(payload)
        for _ in range(frames):
            got = json.loads(await asyncio.wait_for(socket.recv(), 120))
            counts[got.get("code", got["type"])] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flood", type=int, default=300, help="1 MB frames pipelined on one connection")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    frames = [frame(rng) for _ in range(args.frames)]
    scratch = Path(tempfile.mkdtemp(prefix="concierge-fuzz-"))
    limits_off = {"LLM_BACKEND": "template", "CHAT_RATE_LIMIT": "1000000", "CHAT_MAX_CONNECTIONS_PER_IP": "100000"}
    server, base = serve(demo_environment(scratch, limits_off), scratch / "server.log")
    try:
        wait_ready(base, timeout=120)
        counts: Counter = Counter()
        started = time.perf_counter()
        share = [frames[n :: args.visitors] for n in range(args.visitors)]
        url = base.replace("http", "ws") + "/ws/chat/"

        async def everyone() -> None:
            await asyncio.gather(*(visitor(url, part, counts) for part in share))

        asyncio.run(everyone())
        seconds = time.perf_counter() - started
        resident = psutil.Process(server.pid).memory_info().rss
        flooded: Counter = Counter()
        asyncio.run(flood(url, args.flood, 1_000_000, flooded))
        grown = (psutil.Process(server.pid).memory_info().rss - resident) / 2**20
    finally:
        server.terminate()
        server.wait(30)
    tracebacks = (scratch / "server.log").read_text().count("Traceback")
    answered = sum(count for key, count in counts.items() if "afterwards" not in key and "dropped" not in key)
    print(f"{len(frames)} frames from {args.visitors} visitors in {seconds:.0f} s: {answered} answered")
    print("  " + ", ".join(f"{key} {count}" for key, count in sorted(counts.items())))
    print(f"  server_error {counts['server_error']}, tracebacks in the server log {tracebacks}")
    answers = ", ".join(f"{key} {count}" for key, count in sorted(flooded.items()))
    print(f"{args.flood} pipelined 1 MB frames on one connection: {answers}; server memory grew {grown:.0f} MiB")


if __name__ == "__main__":
    main()
