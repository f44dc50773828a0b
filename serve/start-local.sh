#!/usr/bin/env bash
# Starts a private, loopback-only Ray head plus the batch-infer Serve app in the background, waits until
# every replica is up and GET /v2/health/ready answers 200, then prints the HTTP port (the only line on
# stdout). Everything else goes to stderr and to the log files in the state directory.
#
#   serve/start-local.sh [port] [replicas]
#     port      HTTP port on 127.0.0.1 (default 8000; 0 = pick a free port)
#     replicas  auto (default): serve-config.yaml's autoscaling_config (1 to 4 replicas);
#               a number: that many replicas, fixed (autoscaling_config removed)
#
# Environment (all optional):
#   BATCH_INFER_MANIFEST            manifest path (default fixtures/models/manifest.json)
#   BATCH_INFER_SERVE_NUM_CPUS      Ray CPUs for this head (default 2)
#   BATCH_INFER_SERVE_REPLICA_CPUS  num_cpus per replica (default 0.5; lowered so that every replica fits)
#   BATCH_INFER_SERVE_TOKEN_ENV     name of an environment variable holding a bearer token: the app's
#                                   token_env (every route but /v2/health/* then needs it); default none
#   BATCH_INFER_SERVE_BINARY        0: the app does not offer the binary tensor extension (clients send JSON)
#   BATCH_INFER_SERVE_TIMEOUT       seconds to wait for readiness (default 90)
#   BATCH_INFER_SERVE_STATE_ROOT    where state dirs go (default /tmp); one per port:
#                                   <root>/batch-infer-serve-<port>/ (env, auth_token, config.yaml, *.log)
#
# Only this script's processes are touched: the Ray head runs in its own session (setsid), with its own
# --temp-dir and its own ports, so another Ray on the machine is left alone. Stop it with
# serve/stop-local.sh [port]. Exit codes: 0 ready, 1 failed or timed out (state dir kept for the logs),
# 2 bad arguments or port already in use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-8000}"
REPLICAS="${2:-auto}"
NUM_CPUS="${BATCH_INFER_SERVE_NUM_CPUS:-2}"
REPLICA_CPUS="${BATCH_INFER_SERVE_REPLICA_CPUS:-0.5}"
TIMEOUT="${BATCH_INFER_SERVE_TIMEOUT:-90}"
STATE_ROOT="${BATCH_INFER_SERVE_STATE_ROOT:-/tmp}"
MANIFEST="${BATCH_INFER_MANIFEST:-fixtures/models/manifest.json}"

log() { echo "start-local: $*" >&2; }
die() { echo "start-local: $*" >&2; exit "${2:-1}"; }

[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT < 65536)) || die "port must be 0..65535, got '$PORT'" 2
[[ "$REPLICAS" == auto || "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "replicas must be 'auto' or a positive integer, got '$REPLICAS'" 2
TOKEN_ENV="${BATCH_INFER_SERVE_TOKEN_ENV:-}"
if [[ -n "$TOKEN_ENV" ]]; then
  [[ "$TOKEN_ENV" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "BATCH_INFER_SERVE_TOKEN_ENV must be a variable name, got '$TOKEN_ENV'" 2
  [[ -n "${!TOKEN_ENV:-}" ]] || die "BATCH_INFER_SERVE_TOKEN_ENV names \$$TOKEN_ENV, which is unset or empty" 2
fi

bash "$ROOT/serve/setup-venv.sh" >&2 || die "serve/setup-venv.sh failed"
VENV="$ROOT/.venv/serve"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

# Loopback only: with this flag Ray takes 127.0.0.1 as the node address and binds GCS, raylet, object
# manager, agents and workers to it instead of the machine's outbound interface (Ray's default).
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
export RAY_USAGE_STATS_ENABLED=0
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" # workers import serve.app from the repo
export PYTHONUNBUFFERED=1
unset RAY_ADDRESS

# shellcheck source=serve/ray-node.sh
. "$ROOT/serve/ray-node.sh"

if [[ "$PORT" == 0 ]]; then PORT="$(free_port)"; fi
# A relative manifest path that exists from the caller's directory is made absolute (the deploy runs
# from the repository root, where app.py also tries it).
if [[ "$MANIFEST" != /* && -e "$MANIFEST" ]]; then MANIFEST="$(cd "$(dirname "$MANIFEST")" && pwd)/$(basename "$MANIFEST")"; fi
STATE="$STATE_ROOT/batch-infer-serve-$PORT"

# Already running from an earlier call with the same port and replica count: reuse it.
if [[ -f "$STATE/env" ]]; then
  # shellcheck disable=SC1091
  prev_replicas="$(. "$STATE/env"; echo "${REPLICAS:-}")"
  if [[ "$prev_replicas" == "$REPLICAS" ]] && http_ready "$PORT"; then
    log "already running on 127.0.0.1:$PORT with $REPLICAS replica(s) (state $STATE)"
    echo "$PORT"
    exit 0
  fi
  log "stopping the earlier instance on port $PORT"
  bash "$ROOT/serve/stop-local.sh" "$PORT" >&2 || true
fi
port_busy "$PORT" && die "127.0.0.1:$PORT is already in use by another program" 2

new_state_dir "$STATE" # with a Ray token of its own: the ports are on loopback, but other local users exist
RAY_TMP="/tmp/bis-ray-$PORT" # short: Ray's unix socket paths must stay under 108 bytes
rm -rf "$RAY_TMP"
GCS_PORT="$(free_port)"
CLIENT_PORT="$(free_port)"
AGENT_PORT="$(free_port)"
GCS="127.0.0.1:$GCS_PORT"
t_start=$(date +%s.%N)

# Ray head: setsid gives it (and every worker it forks) a session of its own; stop-local.sh ends exactly
# the processes of that session. --block keeps `ray start` in the foreground of that session.
cd "$ROOT"
setsid "$VENV/bin/ray" start --head --block \
  --node-ip-address=127.0.0.1 --port="$GCS_PORT" \
  --num-cpus="$NUM_CPUS" --num-gpus=0 --object-store-memory=$((128 * 1024 * 1024)) \
  --include-dashboard=false --dashboard-agent-listen-port="$AGENT_PORT" \
  --ray-client-server-port="$CLIENT_PORT" \
  --temp-dir="$RAY_TMP" --disable-usage-stats \
  </dev/null >"$STATE/ray-start.log" 2>&1 &
HEAD_PID=$!
disown "$HEAD_PID" 2>/dev/null || true # no "Killed" job notice from this shell when it is stopped
cat >"$STATE/env" <<EOF
PORT=$PORT
REPLICAS=$REPLICAS
GCS=$GCS
HEAD_PID=$HEAD_PID
RAY_TMP=$RAY_TMP
EOF
log "Ray head pid $HEAD_PID, GCS $GCS, temp $RAY_TMP, logs $STATE"
elapsed() { "$PY" -c "import time; print(round(time.time() - $t_start, 1))"; }

fail() {
  log "$1"
  for f in ray-start.log serve-run.log wait.log; do
    [[ -f "$STATE/$f" ]] && { echo "----- $STATE/$f (tail)" >&2; tail -n 25 "$STATE/$f" >&2; }
  done
  log "stopping what was started (logs stay in $STATE)"
  BATCH_INFER_SERVE_KEEP_STATE=1 BATCH_INFER_SERVE_FAST_STOP=1 bash "$ROOT/serve/stop-local.sh" "$PORT" >&2 || true
  exit 1
}

deadline=$(($(date +%s) + TIMEOUT))
# Wait for the GCS to accept connections.
until port_busy "$GCS_PORT"; do
  kill -0 "$HEAD_PID" 2>/dev/null || fail "ray start exited early"
  (($(date +%s) < deadline)) || fail "timed out waiting for the Ray head"
  sleep 0.3
done

log "Ray head up after $(elapsed) s"

# Serve config: serve/serve-config.yaml with this port, replica count (or its autoscaling), CPUs, manifest
# and token variable. Every replica (autoscaling: max_replicas) must fit in the head's CPUs, or the extra
# ones never start.
"$PY" "$ROOT/serve/write-config.py" "$ROOT/serve/serve-config.yaml" "$STATE/config.yaml" --port "$PORT" \
  --replicas "$REPLICAS" --cpus "$NUM_CPUS" --replica-cpus "$REPLICA_CPUS" --manifest "$MANIFEST" \
  --token-env "$TOKEN_ENV" --binary "${BATCH_INFER_SERVE_BINARY:-1}"

"$VENV/bin/serve" run --address "$GCS" --non-blocking "$STATE/config.yaml" </dev/null >"$STATE/serve-run.log" 2>&1 ||
  fail "serve run failed"
log "application submitted after $(elapsed) s; waiting for it to run ($REPLICAS replicas)"

# Wait until the application is RUNNING with every replica up, then until HTTP answers ready.
remaining=$((deadline - $(date +%s)))
((remaining > 0)) || remaining=1
wait_app_running "$GCS" "$remaining" >"$STATE/wait.log" 2>&1 || fail "the Serve application did not become ready (deploy failed or ${TIMEOUT}s passed; see wait.log)"
until http_ready "$PORT"; do
  (($(date +%s) < deadline)) || fail "timed out waiting for http://127.0.0.1:$PORT/v2/health/ready"
  sleep 0.3
done
log "ready on http://127.0.0.1:$PORT ($REPLICAS replicas) after $(elapsed) s"
echo "$PORT"
