#!/usr/bin/env bash
# Sets up NovaEvo in a local virtual environment (.venv) and runs the main job: the HTTP
# API (`novaevo serve`) on the embedded SQLite database (in NOVAEVO_DATA_DIR, default
# ~/.local/share/novaevo) with a simulated demo car attached. It prints the URL of the
# interactive API docs. Extra arguments go to `novaevo serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ""
exec .venv/bin/novaevo serve --sim "$@"
