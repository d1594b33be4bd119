#!/usr/bin/env bash
# Sets up NovaEvo in a local virtual environment (.venv) and runs the main job.
# For now the main job replays the bundled sample ELM327 session through the decoder
# and prints the readings; extra arguments go to `novaevo replay`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ""
exec .venv/bin/novaevo replay "$@"
