#!/usr/bin/env bash
# Create the peers' virtual environments (relative to the repository root) if missing and install their pins:
#   .venv/peers      bench/peers/requirements.txt      the Ray peers and row_by_row (onnxruntime 1.30, as Node)
#   .venv/peers-ort  bench/peers/requirements-ort.txt  ort_threaded (the newest onnxruntime on PyPI)
# Idempotent: a second run only checks the pins. Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

# setup_venv NAME REQUIREMENTS MODULES: MODULES is the import line that proves the venv usable.
setup_venv() {
  local venv="$root/.venv/$1" req="$here/$2" modules="$3"
  if [ ! -x "$venv/bin/python" ]; then
    echo "setup-venv: creating $venv" >&2
    "$python" -m venv "$venv"
  fi
  local ver
  ver="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$ver" != "3.11" ]; then
    echo "setup-venv: warning: $venv uses Python $ver; the pins were checked on 3.11" >&2
  fi
  local stamp="$venv/.peers-requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c "import $modules" 2>/dev/null; then
    echo "setup-venv: $venv is up to date" >&2
    return 0
  fi
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
  "$venv/bin/python" -m pip check
  "$venv/bin/python" - "$modules" <<'PY'
import importlib, sys
names = [n.strip() for n in sys.argv[1].split(",")]
print("setup-venv: " + ", ".join("%s %s" % (n, getattr(importlib.import_module(n), "__version__", "")) for n in names))
PY
  echo "$want" > "$stamp"
}

setup_venv peers requirements.txt 'ray, ray.data, pandas, pyarrow, numpy, onnxruntime'
setup_venv peers-ort requirements-ort.txt 'onnxruntime, pyarrow, numpy'
