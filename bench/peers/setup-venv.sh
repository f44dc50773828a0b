#!/usr/bin/env bash
# Create .venv/peers (relative to the repository root) if missing and install
# bench/peers/requirements.txt into it. Idempotent: a second run only checks
# the pins. Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv/peers"
req="$here/requirements.txt"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi

ver="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$ver" != "3.11" ]; then
  echo "setup-venv: warning: $venv uses Python $ver; the pins were checked on 3.11" >&2
fi

stamp="$venv/.peers-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python" -c 'import ray, ray.data, pandas, pyarrow, numpy, onnxruntime' 2>/dev/null; then
  echo "setup-venv: $venv is up to date" >&2
  exit 0
fi

"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
"$venv/bin/python" -m pip check
"$venv/bin/python" - <<'PY'
import numpy, onnxruntime, pandas, pyarrow, ray, ray.data
print("setup-venv: ray %s, pandas %s, pyarrow %s, numpy %s, onnxruntime %s" % (
    ray.__version__, pandas.__version__, pyarrow.__version__, numpy.__version__,
    onnxruntime.__version__))
PY
echo "$want" > "$stamp"
