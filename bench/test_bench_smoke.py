"""The benchmark at a tiny size, so that it cannot rot: real PostgreSQL, Redis, two
Daphne processes per channel layer, the raw Redis + websockets limit, one command."""

import json
import subprocess
import sys

import pytest

from budgetpay.testing.servers import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.services]


def server_url(url: str) -> str:
    """postgres://host/db or redis://host/0 without the database part."""
    base, _, last = url.rstrip("/").rpartition("/")
    return base if "://" in base else url


def test_the_benchmark_runs_end_to_end_at_a_tiny_size(tmp_path, postgres_url, redis_url):
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--size",
            "tiny",
            "--servers",
            "daphne",
            "--no-db-pool",
            "--postgres",
            server_url(postgres_url),
            "--redis",
            server_url(redis_url),
            "--database",
            "budgetpay_bench_smoke",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "Budget Pay benchmark (tiny)" in run.stdout
    result = json.loads(out.read_text())

    assert result["machine"]["nproc"] >= 1 and result["machine"]["cpu_model"]
    assert set(result["arms"]) == {"raw", "daphne+core", "daphne+pubsub"}
    assert result["configured_layer"] in ("core", "pubsub")
    for name, arm in result["arms"].items():
        assert arm["storm"]["failed"] == 0 and arm["storm"]["opened"] == result["parameters"]["subscribers"], name
        latency = arm["latency"]
        assert latency["created"] == 20 and latency["lost"] == 0 and latency["failed_writes"] == 0, (name, latency)
        assert 0 < latency["latency_ms"]["p50"] <= latency["latency_ms"]["p99"] <= latency["latency_ms"]["max"], name
        for key in ("raw_steps", "notify_steps", "layer_steps"):
            if key in arm:
                steps = arm[key]["steps"]
                for step in steps:
                    assert step["created"] > 0 and step["lost"] == 0 and step["failed_writes"] == 0, (name, key, step)
                    assert step["passed"] or step["why_not"], (name, key, step)
                # Whether a step kept pace is a speed, which a busy machine may not reach (speed is
                # for `make bench`, not the suite): the report only has to be what its steps say.
                best = max((step["created_per_s"] for step in steps if step["passed"]), default=0)
                assert arm[key]["sustained_per_s"] == best, (name, key)
    assert {"notify_steps", "layer_steps"} <= set(result["arms"]["daphne+core"])
    assert "raw_steps" in result["arms"]["raw"]

    idle = result["idle"]
    assert idle["connect"]["failed"] == 0 and idle["open_after_hold"] == idle["connect"]["attempted"] == 80
    assert idle["pongs"] == idle["pings_sent"] == 80
    assert 0 < idle["kib_per_connection"] < 1024

    for endpoint in ("list", "create"):
        rest = result["rest"][endpoint]
        assert rest["requests_per_s"] > 0 and rest["errors"] == {}, (endpoint, rest)
        assert rest["queries"] > 0
    assert set(result["ratios"]) == {"daphne+core", "daphne+pubsub"}
    assert result["ratios"]["daphne+core"]["layer_throughput_vs_limit"] > 0
