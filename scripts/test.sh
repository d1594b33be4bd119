#!/usr/bin/env bash
# Sets up NovaEvo with its test extras in .venv, checks lint and formatting (ruff) and the
# import contracts (import-linter, [tool.importlinter] in pyproject.toml), then runs the
# whole test suite on the compiled Cython accelerator (and fails if it did not build),
# then, on the pure-Python twin, every test that runs the decoder. Extra arguments go to
# both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
echo "== lint and formatting (ruff)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== import contracts (layers of obdcore, what each package may import)"
.venv/bin/lint-imports
echo "== test suite, compiled obdcore accelerator"
NOVAEVO_REQUIRE_COMPILED=1 .venv/bin/python -m pytest "$@"
# The twin only changes how adapter text is decoded: these are the tests whose code paths
# decode (obdcore itself, the simulator and its clients, the diagnosis runner, the API's
# session uploads, decode route, live stream and the garages' end-to-end flow). The OCR,
# parts and other API tests never reach the decoder, so a second pass would repeat them.
PURE_TWIN_TESTS=(
  tests/obdcore tests/firmware_sim tests/diagnostics
  tests/api/test_sessions.py tests/api/test_crash.py tests/api/test_live.py
  tests/api/garages/test_flow.py
)
echo "== decoder tests, pure-Python twin (NOVAEVO_PUREPYTHON=1)"
NOVAEVO_PUREPYTHON=1 .venv/bin/python -m pytest "${PURE_TWIN_TESTS[@]}" "$@"
