#!/usr/bin/env bash
# Stops what serve/start-cluster.sh started: both nodes' process sessions (SIGTERM, SIGKILL after 3 s), their temp
# dirs and the state dir. Never runs `ray stop`, which would end every Ray on the machine.
#
#   serve/stop-cluster.sh [port]          without a port: every cluster start-cluster.sh started
#   serve/stop-cluster.sh port node-b     SIGKILL node B's processes at once (a lost node); node A keeps running
#
# Exit code 0 when nothing of ours is left running (also when there was nothing to stop).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_ROOT="${BATCH_INFER_SERVE_STATE_ROOT:-/tmp}"
# shellcheck source=serve/ray-node.sh
. "$ROOT/serve/ray-node.sh"

log() { echo "stop-cluster: $*" >&2; }

stop_one() {
  local state="$1" only="${2:-}" PORT="" HEAD_PID="" WORKER_PID="" RAY_TMP=""
  # shellcheck disable=SC1091
  . "$state/env" || return 1
  if [[ "$only" == node-b ]]; then
    log "killing node B of port $PORT"
    [[ -z "$WORKER_PID" ]] || kill_session "$WORKER_PID" KILL
    return
  fi
  log "stopping port $PORT (sessions $HEAD_PID $WORKER_PID)"
  local rc=0
  # Node B first: a head that goes first leaves node B's raylet retrying the GCS for a while.
  [[ -z "$WORKER_PID" ]] || kill_session "$WORKER_PID" || rc=1
  [[ -z "$HEAD_PID" ]] || kill_session "$HEAD_PID" || rc=1
  ((rc == 0)) || return 1
  [[ -n "$RAY_TMP" && "$RAY_TMP" == /tmp/bic-ray-* ]] && rm -rf "$RAY_TMP"
  if [[ "${BATCH_INFER_SERVE_KEEP_STATE:-0}" == 1 ]]; then rm -f "$state/env"; else rm -rf "$state"; fi
  log "stopped port $PORT"
}

if [[ $# -ge 2 && "$2" != node-b ]]; then
  log "the second argument can only be node-b, got '$2'"
  exit 2
fi
rc=0
if [[ $# -ge 1 ]]; then
  states=("$STATE_ROOT/batch-infer-cluster-$1")
else
  states=("$STATE_ROOT"/batch-infer-cluster-*)
fi
for s in "${states[@]}"; do
  [[ -f "$s/env" ]] || continue
  stop_one "$s" "${2:-}" || rc=1
done
exit $rc
