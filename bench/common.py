"""What the benchmark's processes share: percentiles, process helpers, the server
launchers (on budgetpay.testing.servers, which the end-to-end tests use too), and the
JSON-lines protocol between the orchestrator and its worker processes."""

from __future__ import annotations

import http.client
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from budgetpay.testing.servers import ROOT, ServerNotReady, ServerProcess, server_environment

# Each notification the benchmark causes carries this marker and its sequence
# number in its text, so a subscriber finds it without parsing the whole frame.
MARKER = "bseq="


class BenchError(RuntimeError):
    """Something the benchmark needs is missing or broke; the message says what."""


def monotonic() -> float:
    """CLOCK_MONOTONIC: one clock for every process on this machine."""
    return time.monotonic()


def log(message: str) -> None:
    """A progress line on stdout, with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def open_loop_answer(
    records: list[list], errors: dict[str, int], *, start: float, fired: float, duration: float
) -> dict[str, Any]:
    """A worker's answer to an open-loop run: [seq, due, done] per request that went through,
    the failures counted per reason, when the loop started and fired its last request, and how
    far behind its schedule that was (lag)."""
    return {
        "records": records,
        "errors": dict(errors),
        "start": start,
        "fired": fired,
        "lag": fired - (start + duration),
    }


def add_counts(answers: list[dict[str, Any]], key: str = "errors") -> dict[str, int]:
    """The counts per reason under `key` in several workers' answers, added up."""
    total: dict[str, int] = {}
    for answer in answers:
        for reason, n in answer[key].items():
            total[reason] = total.get(reason, 0) + n
    return total


def summarize(values_ms: list[float]) -> dict[str, Any]:
    """count, p50, p95, p99, max and mean of latencies in milliseconds (nearest rank)."""
    if not values_ms:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values_ms)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]

    return {
        "count": len(ordered),
        "p50": round(rank(50), 2),
        "p95": round(rank(95), 2),
        "p99": round(rank(99), 2),
        "max": round(ordered[-1], 2),
        "mean": round(sum(ordered) / len(ordered), 2),
    }


def raise_open_files(wanted: int) -> int:
    """Raise RLIMIT_NOFILE (children inherit it); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    for new_hard in (max(hard, wanted), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, new_hard), new_hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    """What the figures came from."""
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        mem_kib = int(meminfo.readline().split()[1])
    versions: dict[str, str] = {"python": sys.version.split()[0]}
    from importlib import metadata

    for package in (
        "Django",
        "channels",
        "channels-redis",
        "redis",
        "daphne",
        "Twisted",
        "uvicorn",
        "websockets",
        "psycopg",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "loadavg_at_start": os.getloadavg(),
        "versions": versions,
    }


# --- Servers ---------------------------------------------------------------------------------


def bench_environment(**overrides: str) -> dict[str, str]:
    """A production-like Budget Pay process (DEBUG off) for the benchmark: quiet logs, and
    tokens that last the whole run (they are minted once)."""
    return server_environment(
        **{
            "SECRET_KEY": "bench-only-secret-key-not-for-production",
            "LOG_LEVEL": "WARNING",
            "JWT_ACCESS_MINUTES": "240",
            **overrides,
        }
    )


class BenchServer(ServerProcess):
    """One server process under test: Budget Pay under Daphne or Uvicorn, or the bare
    Redis + websockets server that marks the physical limit."""

    def __init__(self, kind: str, env: dict[str, str], logdir: Path, name: str) -> None:
        super().__init__(logdir, name, env)
        self.kind = self.label = kind
        if kind == "raw":
            self.ready_path = "/ready"

    def command(self) -> list[str]:
        if self.kind == "daphne":
            # A listen backlog of 1024 instead of Twisted's 50: a connection storm
            # otherwise overflows it and clients wait for SYN retransmits (1 s, 3 s).
            endpoint = f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024"
            # -v 0: no access log line per request and socket (the proxy keeps one).
            extra = self.env.get("BENCH_DAPHNE_ARGS", "").split()  # extra daphne flags, for experiments
            return [sys.executable, "-m", "daphne", "-v", "0", *extra, "-e", endpoint, "budgetpay.asgi:application"]
        if self.kind == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "budgetpay.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--lifespan",
                "off",
                "--ws",
                "websockets-sansio",
                "--ws-per-message-deflate",
                "false",
                "--backlog",
                "1024",
            ]
        if self.kind == "raw":
            return [sys.executable, "-m", "bench.raw_server", "--port", str(self.port)]
        raise ValueError(self.kind)


def servers_rss_kib(servers: list[BenchServer]) -> list[int]:
    """Resident set size of each server process, in KiB."""
    return [rss_kib(server.pid) for server in servers]


def start_servers(kind: str, count: int, env: dict[str, str], logdir: Path, name: str) -> list[BenchServer]:
    """`count` servers of one kind, started together; each ready, or none left running."""
    servers = [BenchServer(kind, env, logdir, f"{name}-{i}").launch() for i in range(count)]
    try:
        for server in servers:
            server.wait_ready()
    except BaseException as exc:
        for server in servers:
            server.stop()
        if isinstance(exc, ServerNotReady):
            raise BenchError(str(exc)) from exc
        raise
    return servers


# --- Worker processes (JSON lines over stdin/stdout) ------------------------------------------


class Worker:
    """A child process that reads one JSON command per line and answers one JSON line."""

    def __init__(
        self, module: str, env: dict[str, str], logdir: Path, name: str, args: list[str] | None = None
    ) -> None:
        self.name = name
        self.stderr = open(logdir / f"{name}.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *(args or [])],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
        )

    def send(self, command: dict[str, Any]) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise BenchError(f"worker {self.name} died (exit {self.process.returncode}); see its log")
        answer = json.loads(line)
        if "error" in answer:
            raise BenchError(f"worker {self.name}: {answer['error']}")
        return answer

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        self.send(command)
        return self.reply()

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send({"cmd": "exit"})
                self.process.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.process.kill()
                self.process.wait(timeout=10)
        self.stderr.close()


def call_all(workers: list[Worker], commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each worker its command, then collect every answer (they work in parallel)."""
    for worker, command in zip(workers, commands, strict=True):
        worker.send(command)
    return [worker.reply() for worker in workers]


def call_each(workers: list[Worker], command: dict[str, Any]) -> list[dict[str, Any]]:
    """Send every worker the same command (they work in parallel); their answers."""
    return call_all(workers, [command] * len(workers))


def serve_commands(handlers: dict[str, Any]) -> None:
    """The worker side, for synchronous workers: dispatch each stdin line to handlers[cmd]."""
    out = sys.stdout
    for line in sys.stdin:
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "exit":
            break
        try:
            answer = handlers[name](**command)
        except Exception as exc:  # reported to the orchestrator, which stops the run
            import traceback

            traceback.print_exc()
            answer = {"error": f"{name}: {exc.__class__.__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


class KeptConnections:
    """Each writer thread keeps one HTTP/1.1 connection per server, as a phone's HTTP client
    does; one that breaks (a killed Daphne, a server closing it) is opened again next time."""

    def __init__(self) -> None:
        self.local = threading.local()

    def post(self, base: str, path: str, body: dict, headers: dict[str, str]) -> int:
        kept = self.local.__dict__.setdefault("connections", {})
        connection = kept.get(base)
        if connection is None:
            parts = urlsplit(base)
            connection = kept[base] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        try:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            kept.pop(base, None)
            raise
        if response.will_close:
            connection.close()
            kept.pop(base, None)
        return response.status
