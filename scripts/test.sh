#!/usr/bin/env bash
# Sets up NovaEvo with its test extras in .venv, checks the import contracts
# (import-linter, [tool.importlinter] in pyproject.toml), then runs the whole test suite
# twice: first on the compiled Cython accelerator (and fails if it did not build), then on
# the pure-Python twin. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
echo "== import contracts (layers of obdcore, what each package may import)"
.venv/bin/lint-imports
echo "== test suite, compiled obdcore accelerator"
NOVAEVO_REQUIRE_COMPILED=1 .venv/bin/python -m pytest "$@"
echo "== test suite, pure-Python twin (NOVAEVO_PUREPYTHON=1)"
NOVAEVO_PUREPYTHON=1 .venv/bin/python -m pytest "$@"
