"""The README's bench commands run: every script parses its options, and the quality bench scores a
small catalogue of our own end to end (the shared datasets are not needed)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHES = sorted(path.name for path in (REPO / "bench").glob("*.py") if path.name not in {"common.py", "simulator.py"})


def run_bench(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("script", BENCHES)
def test_every_bench_parses_its_options(script):
    result = run_bench(script, "--help", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {script}")


def addon(slug: str, name: str, summary: str, category: str) -> dict:
    return {
        "slug": slug,
        "name": {"en-US": name},
        "summary": {"en-US": summary},
        "categories": {"firefox": [category]},
        "average_daily_users": 1000,
        "ratings": {"average": 4.5, "count": 10},
    }


@pytest.mark.slow
def test_quality_bench_prints_the_three_systems_side_by_side_and_the_margin(tmp_path):
    catalog = tmp_path / "catalog.json"
    results = [
        addon("ad-eraser", "Ad Eraser", "Blocks advertising banners and pop-ups on every website.", "privacy-security"),
        addon("night-owl", "Night Owl", "Dark theme for all websites, gentle on the eyes at night.", "appearance"),
        addon("tab-napper", "Tab Napper", "Suspends idle tabs to free memory.", "tabs"),
        addon("qr-maker", "QR Maker", "Shows a QR code of the current page for your phone.", "other"),
    ]
    catalog.write_text(json.dumps({"count": len(results), "results": results}))
    queries = tmp_path / "queries.json"
    queries.write_text(
        json.dumps(
            {
                "single_turn": [
                    {"id": "q1", "query": "block ads and pop-ups", "relevant": {"ad-eraser": 2}},
                    {"id": "q2", "query": "dark theme for reading at night", "relevant": {"night-owl": 2}},
                ]
            }
        )
    )
    result = run_bench("quality.py", "--catalog", str(catalog), "--queries", str(queries), timeout=600)
    assert result.returncode == 0, result.stderr
    rows = {
        match[0].strip(): [float(value) for value in match[1].split()]
        for match in re.findall(r"^(BM25 only|dense only|hybrid \(shipped\))\s+([\d. ]+)$", result.stdout, re.M)
    }
    assert set(rows) == {"BM25 only", "dense only", "hybrid (shipped)"}
    assert all(len(values) == 4 for values in rows.values())
    assert rows["hybrid (shipped)"][1] == 1.0  # Hit@5 on needs this plain
    margin = re.search(
        r"^hybrid nDCG@5 minus (BM25 only|dense only): ([+-][\d.]+) "
        r"\(95% paired bootstrap interval ([+-][\d.]+) to ([+-][\d.]+)\)$",
        result.stdout,
        re.M,
    )
    assert margin, result.stdout
    baseline, mean, low, high = margin[1], float(margin[2]), float(margin[3]), float(margin[4])
    assert rows[baseline][2] == max(rows["BM25 only"][2], rows["dense only"][2])
    assert mean == pytest.approx(rows["hybrid (shipped)"][2] - rows[baseline][2], abs=0.002)
    assert low <= mean <= high


@pytest.mark.slow
def test_fuzz_bench_gets_every_generated_frame_answered_without_a_server_error():
    result = run_bench("fuzz.py", "--frames", "400", "--visitors", "4", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "400 frames from 4 visitors" in result.stdout and ": 400 answered" in result.stdout, result.stdout
    assert "server_error 0, tracebacks in the server log 0" in result.stdout
    assert "usable afterwards 4" in result.stdout and "dropped" not in result.stdout
