#!/usr/bin/env bash
# Stops what serve/start-local.sh started: shuts Serve down (the equivalent of `serve shutdown -y`, done
# through the Ray address because the dashboard that `serve shutdown` talks to is disabled), then ends
# every process of that Ray head's session (SIGTERM, then SIGKILL after 3 s, as `ray stop --force`
# would) and waits until none is left.
# It never runs `ray stop`, which would also kill any other Ray on the machine.
#
#   serve/stop-local.sh [port]    without a port: every instance started by start-local.sh
#
# BATCH_INFER_SERVE_FAST_STOP=1 skips the graceful Serve shutdown (saves ~5 s; the processes are
# ended either way).
#
# Exit code 0 when nothing of ours is left running (also when there was nothing to stop).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_ROOT="${BATCH_INFER_SERVE_STATE_ROOT:-/tmp}"
PY="$ROOT/.venv/serve/bin/python"
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_USAGE_STATS_ENABLED=0
unset RAY_ADDRESS

log() { echo "stop-local: $*" >&2; }

# shellcheck source=serve/ray-node.sh
. "$ROOT/serve/ray-node.sh"

stop_one() {
  local state="$1" PORT="" GCS="" HEAD_PID="" RAY_TMP=""
  # shellcheck disable=SC1091
  . "$state/env" || return 1
  log "stopping port $PORT (Ray head pid $HEAD_PID, GCS $GCS)"
  export RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$state/auth_token"
  if [[ "${BATCH_INFER_SERVE_FAST_STOP:-0}" != 1 && -n "$HEAD_PID" ]] && kill -0 "$HEAD_PID" 2>/dev/null && [[ -x "$PY" ]]; then
    timeout 20 "$PY" - "$GCS" >"$state/shutdown.log" 2>&1 <<'EOF' || log "serve shutdown did not finish cleanly (see $state/shutdown.log); killing"
import logging, sys
import ray
from ray import serve
ray.init(address=sys.argv[1], logging_level=logging.ERROR, log_to_driver=False)
serve.shutdown()
EOF
  fi
  if [[ -n "$HEAD_PID" ]]; then
    kill_session "$HEAD_PID" || return 1
  fi
  [[ -n "$RAY_TMP" && "$RAY_TMP" == /tmp/bis-ray-* ]] && rm -rf "$RAY_TMP"
  if [[ "${BATCH_INFER_SERVE_KEEP_STATE:-0}" == 1 ]]; then rm -f "$state/env"; else rm -rf "$state"; fi
  log "stopped port $PORT"
}

rc=0
if [[ $# -ge 1 ]]; then
  states=("$STATE_ROOT/batch-infer-serve-$1")
else
  states=("$STATE_ROOT"/batch-infer-serve-*)
fi
for s in "${states[@]}"; do
  [[ -f "$s/env" ]] || continue
  stop_one "$s" || rc=1
done
exit $rc
