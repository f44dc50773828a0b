#!/usr/bin/env bash
# Creates .venv/serve (relative to the repository root) if missing and installs serve/requirements.txt
# with serve/requirements.lock as constraints. Idempotent: a stamp file records what was installed, so a
# second run with unchanged requirements returns at once. Exits non-zero on any failure.
#   PYTHON=python3.11 serve/setup-venv.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/serve"
REQ="$ROOT/serve/requirements.txt"
LOCK="$ROOT/serve/requirements.lock"
PY="${PYTHON:-python3}"
STAMP="$VENV/.batch-infer-serve-stamp"

want="$(cat "$REQ" "$LOCK" | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  ver="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [[ "$ver" == "3.11" ]] || echo "setup-venv: warning: $PY is Python $ver; the pins were verified on 3.11" >&2
  echo "setup-venv: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
echo "setup-venv: installing serve/requirements.txt (ray[serve], onnxruntime; a minute on first run)" >&2
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$VENV/bin/python" -m pip install -q -r "$REQ" -c "$LOCK"
"$VENV/bin/python" -c 'import ray, ray.serve, onnxruntime, numpy, starlette, yaml' 
echo "$want" > "$STAMP"
echo "setup-venv: ready ($("$VENV/bin/python" -c 'import ray, onnxruntime; print("ray", ray.__version__, "onnxruntime", onnxruntime.__version__)'))" >&2
