"""The peer of benchmarks/api_http.py: a bare FastAPI JSON endpoint, nothing else."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict:
    """The cheapest JSON answer FastAPI can give (same sync-route threadpool as ours)."""
    return {"id": 1, "name": "bare"}
