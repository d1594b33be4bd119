"""``POST /v1/decode`` lines/s against calling obdcore's batch decoder directly, and the
upload of a one-hour drive log (raw lines, decoded and stored) end to end.

A real server (``novaevo serve``, 1 worker) on loopback, SQLite and PostgreSQL. The drive
log: 12 PIDs at 1 Hz for an hour (43,200 single-frame CAN answers, headers on), made here
from fixed formulas so that it needs no simulator. Goals: decode >= 50 % of the decoder's
lines/s; the one-hour upload under 1 s. The bodies are encoded once, before the clock
starts (what is timed is the server's work and the transfer, not the client's JSON
encoder); the server's CPU time per request is printed too (load-independent).

    python benchmarks/api_decode.py [--requests 5] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.api_http import PG, cpu_seconds, free_port, start  # noqa: E402

# (PID, bytes, value of the data bytes at second s)
PIDS = [
    (0x0C, 2, lambda s: int((800 + 2000 * (1 + math.sin(s / 60))) * 4)),
    (0x0D, 1, lambda s: int(60 + 50 * math.sin(s / 90))),
    (0x05, 1, lambda s: min(255, 40 + 90 + s // 60)),
    (0x04, 1, lambda s: int(80 + 60 * math.sin(s / 30))),
    (0x10, 2, lambda s: int(1000 + 800 * (1 + math.sin(s / 60)))),
    (0x11, 1, lambda s: int(40 + 30 * math.sin(s / 20))),
    (0x0B, 1, lambda s: int(40 + 20 * math.sin(s / 40))),
    (0x06, 1, lambda s: 128 + int(5 * math.sin(s / 7))),
    (0x07, 1, lambda s: 130),
    (0x0F, 1, lambda s: 65),
    (0x0E, 1, lambda s: 150 + int(10 * math.sin(s / 5))),
    (0x42, 2, lambda s: 14200 - (s % 7) * 10),
]


def drive_log(seconds: int = 3600) -> tuple[list[float], list[str]]:
    """Times and lines of a one-hour drive, one answer per PID per second."""
    times, lines = [], []
    for s in range(seconds):
        for k, (pid, size, value) in enumerate(PIDS):
            data = value(s).to_bytes(size, "big")
            frame = bytes([1 + 1 + size, 0x41, pid]) + data
            times.append(s + k / len(PIDS))
            lines.append("7E8 " + " ".join(f"{b:02X}" for b in frame))
    return times, lines


def direct_lines_per_s(lines: list[str], repeats: int) -> float:
    from obdcore import Decoder

    text = "\r".join(lines)
    started = time.perf_counter()
    for _ in range(repeats):
        Decoder(protocol="6", headers=True).decode_batch(text)
    return len(lines) * repeats / (time.perf_counter() - started)


def serve(backend: str, workdir: Path):  # noqa: ANN201
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{workdir / f'{schema}.sqlite3'}"
    else:
        import sqlalchemy

        with sqlalchemy.create_engine(PG).begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{PG}?options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "NOVAEVO_DATABASE_URL": url,
        "NOVAEVO_DATA_DIR": str(workdir),
        "NOVAEVO_OCR_PRELOAD": "false",
        "NOVAEVO_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    proc = start(
        [sys.executable, "-m", "novaevo", "serve", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
    )
    base = f"http://127.0.0.1:{port}"
    email, password = f"bench{uuid.uuid4().hex[:8]}@example.com", "benchmark password"
    httpx.post(base + "/v1/auth/signup", json={"email": email, "password": password})
    token = httpx.post(base + "/v1/auth/login", json={"email": email, "password": password}).json()[
        "access_token"
    ]
    return proc, base, {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    times, lines = drive_log()
    print(
        f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"{len(lines):,} lines (one hour, 12 PIDs at 1 Hz)"
    )
    direct = direct_lines_per_s(lines, args.requests)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            proc, base, auth = serve(backend, Path(tmp))
            try:
                client = httpx.Client(base_url=base, headers=auth, timeout=120)
                decode_body = json.dumps({"lines": lines}).encode()
                json_type = {"Content-Type": "application/json"}
                client.post("/v1/decode", content=decode_body, headers=json_type)  # warm-up
                started, cpu_started = time.perf_counter(), cpu_seconds(proc.pid)
                for _ in range(args.requests):
                    r = client.post("/v1/decode", content=decode_body, headers=json_type)
                    r.raise_for_status()
                api = len(lines) * args.requests / (time.perf_counter() - started)
                cpu_ms = (cpu_seconds(proc.pid) - cpu_started) * 1000 / args.requests
                print(
                    f"[{backend}] POST /v1/decode {api:,.0f} lines/s vs decoder "
                    f"{direct:,.0f} lines/s: {api / direct:.0%} (goal >= 50 %); server CPU "
                    f"{cpu_ms:.0f} ms a request (the decoder alone: "
                    f"{len(lines) / direct * 1000:.0f} ms)"
                )
                vehicle = client.post("/v1/vehicles", json={}).json()["id"]
                rows = [[t, text] for t, text in zip(times, lines, strict=True)]
                upload_body = json.dumps({"lines": rows}).encode()
                spent, cpu = [], []
                for i in range(3):
                    drive = client.post(f"/v1/vehicles/{vehicle}/sessions", json={}).json()
                    started, cpu_started = time.perf_counter(), cpu_seconds(proc.pid)
                    r = client.post(
                        f"/v1/sessions/{drive['id']}/uploads",
                        content=upload_body,
                        headers={"Idempotency-Key": f"hour-{i}", **json_type},
                    )
                    spent.append(time.perf_counter() - started)
                    cpu.append(cpu_seconds(proc.pid) - cpu_started)
                    assert r.status_code == 201, r.text
                result = r.json()
                print(
                    f"[{backend}] one-hour drive upload ({result['lines']:,} lines -> "
                    f"{result['readings']:,} readings stored): best {min(spent):.2f} s, "
                    f"median {sorted(spent)[1]:.2f} s (goal < 1 s); server CPU "
                    f"{min(cpu):.2f} s (the database server's not counted)"
                )
            finally:
                proc.terminate()
                proc.wait(30)


if __name__ == "__main__":
    main()
