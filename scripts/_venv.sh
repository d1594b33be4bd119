# Shared by run.sh and test.sh: create .venv with the system python3 and install this
# project (editable, so the Cython accelerator is built in place next to its twin).
ensure_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras}"
}
