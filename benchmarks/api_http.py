"""HTTP load on loopback with wrk: a bare FastAPI JSON endpoint vs NovaEvo's authenticated,
database-backed ``GET /v1/vehicles/{id}``, on SQLite and on PostgreSQL.

One run each, 2 uvicorn workers, 64 connections, 2 wrk threads, ``--duration`` seconds
(60 by default). Goal: the real endpoint at >= 40 % of the bare one's requests/s, p95 under
50 ms, zero errors. Needs ``wrk`` (Debian: ``apt-get install -y wrk``).

Also printed: the CPU time the server's processes (master and workers) spent per request,
read from ``/proc`` around the wrk run - the figure that does not depend on how busy the
machine is (PostgreSQL's own processes are not counted).

    python benchmarks/api_http.py [--duration 60] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get(
    "NOVAEVO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LUA = ROOT / "benchmarks" / "_p95.lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} never answered")


def start(cmd: list[str], env: dict, health: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_up(health)
    return proc


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants (Linux ``/proc``)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo.extend(_children(current))
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: int, server: int, headers: dict | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c64", f"-d{duration}s", "--timeout", "5s", "-s", str(LUA), url]
    for name, value in (headers or {}).items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    before = cpu_seconds(server)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_ms"] = (cpu_seconds(server) - before) * 1000 / max(1, result["requests"])
    return result


def bare(duration: int) -> dict:
    port = free_port()
    proc = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks._bare_app:app",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        dict(os.environ),
        f"http://127.0.0.1:{port}/bare",
    )
    try:
        return wrk(f"http://127.0.0.1:{port}/bare", duration, proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)


def novaevo(backend: str, duration: int, workdir: Path) -> dict:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        import sqlalchemy

        engine = sqlalchemy.create_engine(PG)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{PG}?options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "NOVAEVO_DATABASE_URL": url,
        "NOVAEVO_DATA_DIR": str(workdir),
        "NOVAEVO_OCR_PRELOAD": "false",
        "NOVAEVO_ENVIRONMENT": "production",
        "NOVAEVO_SECRET_KEY": uuid.uuid4().hex * 2,
    }
    port = free_port()
    proc = start(
        [sys.executable, "-m", "novaevo", "serve", "--port", str(port), "--workers", "2"],
        env,
        f"http://127.0.0.1:{port}/health",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        email, password = f"bench{uuid.uuid4().hex[:8]}@example.com", "benchmark password"
        httpx.post(base + "/v1/auth/signup", json={"email": email, "password": password})
        token = httpx.post(
            base + "/v1/auth/login", json={"email": email, "password": password}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        vehicle = httpx.post(
            base + "/v1/vehicles",
            json={"vin": "VF1BR0E0FF2345678", "plate": "AB-123-CD"},
            headers=auth,
        ).json()
        return wrk(f"{base}/v1/vehicles/{vehicle['id']}", duration, proc.pid, auth)
    finally:
        proc.terminate()
        proc.wait(30)
        if backend == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = {"bare FastAPI /bare": bare(args.duration)}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results[f"GET /v1/vehicles/{{id}} ({backend})"] = novaevo(
                backend, args.duration, Path(tmp)
            )
    peer = results["bare FastAPI /bare"]["rps"]
    print(
        f"{'endpoint':40} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6} {'CPU ms/req':>10}"
    )
    for name, r in results.items():
        print(
            f"{name:40} {r['rps']:8.0f} {r['rps'] / peer:6.0%} {r['p50_ms']:7.1f} "
            f"{r['p95_ms']:7.1f} {r['p99_ms']:7.1f} {r['errors']:6d} {r['cpu_ms']:10.3f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
