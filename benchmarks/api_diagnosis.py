"""A diagnosis request through the HTTP API against calling ``diagnostics.diagnose``
directly, in the same run.

The snapshots: labelled cases of the simulator's case generator (a whole guided test at
1 Hz: codes, freeze frame, readiness, Mode 06, five phases; the payload the app sends, about
30 kB of JSON each). Direct: ``diagnose(snapshot)`` on the parsed dicts in this process
(the shipped model, the default). HTTP: a real server (``novaevo serve``, 1 worker) on
loopback, ``POST /v1/vehicles/{id}/diagnoses`` with ``{"snapshot": ...}``: validation,
the same diagnosis, storage of the snapshot, result and history row, the response in one
language; then ``GET /v1/diagnoses/{id}``. Load: ``--clients`` concurrent clients, each
sending its requests one after the other. Goal: diagnosis request p95 < 100 ms. Also
printed: the server's CPU time per POST + GET pair (load-independent), and the direct
call's CPU time.

    python benchmarks/api_diagnosis.py [--requests 200] [--clients 1,4]
        [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.api_decode import serve  # noqa: E402
from benchmarks.api_http import cpu_seconds  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cases(n: int) -> list[dict]:
    from firmware_sim import generate_case

    return [generate_case(seed)["snapshot"] for seed in range(n)]


def direct_ms(snapshots: list[dict], requests: int) -> list[float]:
    from diagnostics import diagnose

    diagnose(snapshots[0])  # load the knowledge base and the model once, as the server does
    spent = []
    for i in range(requests):
        started = time.perf_counter()
        diagnose(snapshots[i % len(snapshots)])
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def http_ms(base: str, auth: dict, snapshots: list[dict], requests: int, clients: int):
    """Latencies (ms) of the POSTs and of GETs of what they made, ``clients`` at a time."""
    with httpx.Client(base_url=base, headers=auth, timeout=60) as warm:
        vehicle = warm.post("/v1/vehicles", json={"name": "bench"}).json()["id"]
        warm.post(f"/v1/vehicles/{vehicle}/diagnoses", json={"snapshot": snapshots[0]})

    def one_client(k: int) -> tuple[list[float], list[float]]:
        posts, gets = [], []
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            for i in range(k, requests, clients):
                body = json.dumps({"snapshot": snapshots[i % len(snapshots)]})
                started = time.perf_counter()
                r = client.post(f"/v1/vehicles/{vehicle}/diagnoses", content=body,
                                headers={"Content-Type": "application/json"})  # fmt: skip
                posts.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 201, r.text
                started = time.perf_counter()
                client.get(f"/v1/diagnoses/{r.json()['id']}").raise_for_status()
                gets.append((time.perf_counter() - started) * 1000)
        return posts, gets

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one_client, range(clients)))
    return [x for p, _ in results for x in p], [x for _, g in results for x in g]


def line(label: str, values: list[float]) -> str:
    return (
        f"{label}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms,"
        f" p99 {percentile(values, 0.99):.1f} ms ({len(values)} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    snapshots = cases(args.cases)
    size = statistics.mean(len(json.dumps(s)) for s in snapshots) / 1000
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.cases} labelled cases, {size:.0f} kB of JSON each")  # fmt: skip
    cpu_started = time.process_time()
    direct = direct_ms(snapshots, args.requests)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.requests
    print(line("diagnostics.diagnose directly", direct) + f"; CPU {cpu_ms:.1f} ms a call")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            proc, base, auth = serve(backend, Path(tmp))
            try:
                for clients in (int(c) for c in args.clients.split(",")):
                    cpu_started = cpu_seconds(proc.pid)
                    posts, gets = http_ms(base, auth, snapshots, args.requests, clients)
                    cpu_ms = (cpu_seconds(proc.pid) - cpu_started) * 1000 / args.requests
                    ratio = percentile(posts, 0.95) / percentile(direct, 0.95)
                    print(line(f"[{backend}, {clients} client(s)] POST .../diagnoses", posts)
                          + f"; p95 {ratio:.1f}x the direct call (goal p95 < 100 ms); server"
                          f" CPU {cpu_ms:.1f} ms a POST + GET")  # fmt: skip
                    print(line(f"[{backend}, {clients} client(s)] GET /v1/diagnoses/{{id}}", gets))
            finally:
                proc.terminate()
                proc.wait(30)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
