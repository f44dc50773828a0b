#!/usr/bin/env bash
# Starts a two-node Ray cluster on this machine plus the batch-infer Serve app with its replicas spread over both
# nodes, waits until every replica runs and GET /v2/health/ready answers 200, then prints the HTTP port (the only
# line on stdout). For tests and benchmarks of the multi-node path; a real cluster is the same two `ray start`
# commands on two machines (docs/remote.md).
#
#   serve/start-cluster.sh [port] [replicas]
#     port      HTTP port of Serve's proxy on 127.0.0.1 (default 8000; 0 = pick a free port)
#     replicas  fixed replica count (default 2), spread evenly: each node has BATCH_INFER_CLUSTER_NODE_CPUS Ray
#               CPUs (default 1) and each replica takes 2 x that / replicas, so half of them fit on a node
#
# Node A (head, 127.0.0.2) runs the GCS, Serve's controller and its one HTTP proxy; node B (127.0.0.3) joins with
# `ray start --address` and a custom resource {"node_b": 1}. Ray has no loopback-only mode for more than one node
# (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 refuses worker nodes), so, as on any Ray cluster, Ray's own ports listen on
# every interface for as long as the cluster runs; a token made for this cluster (Ray token auth) guards them.
# Serve's HTTP proxy listens on 127.0.0.1 only.
#
# Each node runs in its own session (setsid) with its own --temp-dir; stop-cluster.sh ends exactly those
# sessions (never `ray stop`, which would end every Ray on the machine). Environment: BATCH_INFER_MANIFEST,
# BATCH_INFER_SERVE_TOKEN_ENV, BATCH_INFER_SERVE_BINARY (as for start-local.sh), BATCH_INFER_CLUSTER_NODE_CPUS (1),
# BATCH_INFER_SERVE_TIMEOUT (120), BATCH_INFER_SERVE_STATE_ROOT (/tmp; state dir
# <root>/batch-infer-cluster-<port>/). Exit codes: 0 ready, 1 failed (everything started is stopped), 2 bad
# arguments or port in use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-8000}"
REPLICAS="${2:-2}"
NODE_CPUS="${BATCH_INFER_CLUSTER_NODE_CPUS:-1}"
TIMEOUT="${BATCH_INFER_SERVE_TIMEOUT:-120}"
STATE_ROOT="${BATCH_INFER_SERVE_STATE_ROOT:-/tmp}"
MANIFEST="${BATCH_INFER_MANIFEST:-fixtures/models/manifest.json}"
TOKEN_ENV="${BATCH_INFER_SERVE_TOKEN_ENV:-}"
HEAD_IP=127.0.0.2
WORKER_IP=127.0.0.3

log() { echo "start-cluster: $*" >&2; }
die() { echo "start-cluster: $*" >&2; exit "${2:-1}"; }

[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT < 65536)) || die "port must be 0..65535, got '$PORT'" 2
[[ "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "replicas must be a positive integer, got '$REPLICAS'" 2
[[ "$NODE_CPUS" =~ ^[1-9][0-9]*$ ]] || die "BATCH_INFER_CLUSTER_NODE_CPUS must be a positive integer, got '$NODE_CPUS'" 2
if [[ -n "$TOKEN_ENV" ]]; then
  [[ "$TOKEN_ENV" =~ ^[A-Za-z_][A-Za-z0-9_]*$ && -n "${!TOKEN_ENV:-}" ]] || die "BATCH_INFER_SERVE_TOKEN_ENV must name a set variable, got '$TOKEN_ENV'" 2
fi

bash "$ROOT/serve/setup-venv.sh" >&2 || die "serve/setup-venv.sh failed"
VENV="$ROOT/.venv/serve"
PY="$VENV/bin/python"
# shellcheck source=serve/ray-node.sh
. "$ROOT/serve/ray-node.sh"
# 1: Ray keeps the 127.0.0.x node addresses given below (0 would refuse the second node).
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1 RAY_USAGE_STATS_ENABLED=0 PYTHONUNBUFFERED=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" # replicas on both nodes import serve.app from the repo
unset RAY_ADDRESS

if [[ "$PORT" == 0 ]]; then PORT="$(free_port)"; fi
if [[ "$MANIFEST" != /* && -e "$MANIFEST" ]]; then MANIFEST="$(cd "$(dirname "$MANIFEST")" && pwd)/$(basename "$MANIFEST")"; fi
STATE="$STATE_ROOT/batch-infer-cluster-$PORT"
[[ -f "$STATE/env" ]] && bash "$ROOT/serve/stop-cluster.sh" "$PORT" >&2
port_busy "$PORT" && die "127.0.0.1:$PORT is already in use by another program" 2
new_state_dir "$STATE" # with a Ray token of its own: the cluster's ports are reachable from the network
RAY_TMP="/tmp/bic-ray-$PORT" # short: Ray's unix socket paths must stay under 108 bytes
rm -rf "$RAY_TMP"
GCS_PORT="$(free_port)"
GCS="$HEAD_IP:$GCS_PORT"
OBJECT_STORE=$((128 * 1024 * 1024))
t_start=$(date +%s)
cd "$ROOT"

setsid "$VENV/bin/ray" start --head --block --node-ip-address="$HEAD_IP" --port="$GCS_PORT" \
  --num-cpus="$NODE_CPUS" --num-gpus=0 --object-store-memory="$OBJECT_STORE" --include-dashboard=false \
  --ray-client-server-port="$(free_port)" --dashboard-agent-listen-port="$(free_port)" \
  --temp-dir="$RAY_TMP/a" --disable-usage-stats </dev/null >"$STATE/head.log" 2>&1 &
HEAD_PID=$!
disown "$HEAD_PID" 2>/dev/null || true
cat >"$STATE/env" <<EOF
PORT=$PORT
REPLICAS=$REPLICAS
GCS=$GCS
HEAD_IP=$HEAD_IP
WORKER_IP=$WORKER_IP
HEAD_PID=$HEAD_PID
RAY_TMP=$RAY_TMP
EOF

fail() {
  log "$1"
  for f in head.log worker.log serve-run.log wait.log; do
    [[ -f "$STATE/$f" ]] && { echo "----- $STATE/$f (tail)" >&2; tail -n 20 "$STATE/$f" >&2; }
  done
  BATCH_INFER_SERVE_KEEP_STATE=1 bash "$ROOT/serve/stop-cluster.sh" "$PORT" >&2 || true
  exit 1
}

deadline=$(($(date +%s) + TIMEOUT))
until port_busy "$GCS_PORT" "$HEAD_IP"; do
  kill -0 "$HEAD_PID" 2>/dev/null || fail "ray start --head exited early"
  (($(date +%s) < deadline)) || fail "timed out waiting for the Ray head"
  sleep 0.3
done
log "node A (head) up at $GCS after $(($(date +%s) - t_start)) s"

setsid "$VENV/bin/ray" start --block --address="$GCS" --node-ip-address="$WORKER_IP" \
  --num-cpus="$NODE_CPUS" --num-gpus=0 --resources='{"node_b": 1}' --object-store-memory="$OBJECT_STORE" \
  --dashboard-agent-listen-port="$(free_port)" --temp-dir="$RAY_TMP/b" --disable-usage-stats \
  </dev/null >"$STATE/worker.log" 2>&1 &
WORKER_PID=$!
disown "$WORKER_PID" 2>/dev/null || true
echo "WORKER_PID=$WORKER_PID" >>"$STATE/env"

"$PY" - "$GCS" "$HEAD_IP" "$((deadline - $(date +%s)))" >>"$STATE/wait.log" 2>&1 <<'EOF' || fail "node B did not join (see worker.log)"
import logging, sys, time
import ray
gcs, ip, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
ray.init(address=gcs, _node_ip_address=ip, logging_level=logging.ERROR, log_to_driver=False)
deadline = time.time() + budget
while time.time() < deadline:
    if sum(1 for n in ray.nodes() if n["Alive"]) >= 2:
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
EOF
log "node B joined after $(($(date +%s) - t_start)) s"

# Serve config: serve-config.yaml with a fixed replica count whose CPUs fill both nodes evenly.
"$PY" "$ROOT/serve/write-config.py" "$ROOT/serve/serve-config.yaml" "$STATE/config.yaml" --port "$PORT" \
  --replicas "$REPLICAS" --cpus "$((2 * NODE_CPUS))" --fill --manifest "$MANIFEST" --token-env "$TOKEN_ENV" \
  --binary "${BATCH_INFER_SERVE_BINARY:-1}"
"$VENV/bin/serve" run --address "$GCS" --non-blocking "$STATE/config.yaml" </dev/null >"$STATE/serve-run.log" 2>&1 ||
  fail "serve run failed"
wait_app_running "$GCS" "$((deadline - $(date +%s)))" "$REPLICAS" "$HEAD_IP" >>"$STATE/wait.log" 2>&1 ||
  fail "the Serve application did not become ready (see wait.log)"
until http_ready "$PORT"; do
  (($(date +%s) < deadline)) || fail "timed out waiting for http://127.0.0.1:$PORT/v2/health/ready"
  sleep 0.3
done
log "ready on http://127.0.0.1:$PORT with $REPLICAS replicas on 2 nodes after $(($(date +%s) - t_start)) s"
echo "$PORT"
