#!/usr/bin/env bash
# Creates .venv/tritonclient (relative to the repository root) if missing and installs
# test/remote/tritonclient/requirements.txt. Idempotent: a stamp file records what was installed, so a second
# run with unchanged requirements returns at once. Exits non-zero on any failure.
#   PYTHON=python3.11 test/remote/tritonclient/setup-venv.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
VENV="$ROOT/.venv/tritonclient"
REQ="$ROOT/test/remote/tritonclient/requirements.txt"
PY="${PYTHON:-python3}"
STAMP="$VENV/.batch-infer-tritonclient-stamp"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-venv: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$VENV/bin/python" -m pip install -q -r "$REQ"
"$VENV/bin/python" -c 'import tritonclient.http, numpy'
echo "$want" > "$STAMP"
echo "setup-venv: ready (tritonclient $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("tritonclient"))'))" >&2
