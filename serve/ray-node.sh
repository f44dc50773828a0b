# Shell functions shared by start-local.sh, stop-local.sh, start-cluster.sh and stop-cluster.sh (sourced, not run).
# Needs PY (the venv's python) set by the caller for the functions that run Python.

# Every live process whose session id is $1.
session_pids() {
  ps -eo pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'
}

# Ends every process of session $1: SIGTERM, then SIGKILL after 3 s (as `ray stop --force` would), and waits
# until none is left. $2 = KILL skips the SIGTERM (a node lost at once). Returns 1 if some survive.
kill_session() {
  local sid="$1" first="${2:-TERM}" pids
  pids="$(session_pids "$sid")"
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086
  kill -"$first" $pids 2>/dev/null
  for _ in $(seq 1 15); do
    pids="$(session_pids "$sid")"
    [[ -z "$pids" ]] && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): SIGKILL to $(echo $pids | wc -w) process(es) left: $(ps -o comm= -p "$(echo $pids | tr ' ' ,)" | sort | uniq -c | tr -s ' \n' ' ')" >&2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null
  for _ in $(seq 1 25); do
    [[ -z "$(session_pids "$sid")" ]] && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): processes of session $sid are still alive: $(session_pids "$sid" | tr '\n' ' ')" >&2
  return 1
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Whether something accepts connections on $2 (default 127.0.0.1) port $1.
port_busy() { "$PY" -c 'import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(0 if s.connect_ex((sys.argv[2], int(sys.argv[1]))) == 0 else 1)' "$1" "${2:-127.0.0.1}"; }

http_ready() {
  "$PY" - "$1" <<'EOF'
import http.client, sys  # http.client: no proxy environment variables apply
try:
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=3)
    c.request("GET", "/v2/health/ready")
    sys.exit(0 if c.getresponse().status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

# Waits (at most $2 seconds) until the Serve application batch-infer at GCS $1 is RUNNING and has at least $3
# RUNNING replicas (default 1), printing each state change. $4: this machine's Ray node address, if not loopback.
# Exit 1 on DEPLOY_FAILED or timeout.
wait_app_running() {
  "$PY" - "$1" "$2" "${3:-1}" "${4:-}" <<'EOF'
import sys, time, logging
logging.disable(logging.WARNING)
import ray
from ray import serve
gcs, budget, want, node_ip = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4] or None
deadline = time.time() + budget
ray.init(address=gcs, _node_ip_address=node_ip, logging_level=logging.ERROR, log_to_driver=False)
last = None
while time.time() < deadline:
    app = serve.status().applications.get("batch-infer")
    if app is not None:
        replicas = {n: dict(d.replica_states) for n, d in app.deployments.items()}
        state = (str(app.status), replicas)
        if state != last:
            print(state, flush=True)
            last = state
        running = sum(r.get("RUNNING", 0) for r in replicas.values())
        if str(app.status).endswith("RUNNING") and running >= want:
            sys.exit(0)
        if str(app.status).endswith("DEPLOY_FAILED"):
            print(app.message, flush=True)
            sys.exit(1)
    time.sleep(0.5)
sys.exit(1)
EOF
}

# A fresh state directory $1 (mode 700) holding a Ray auth token made for this instance only (mode 600), and the
# Ray token-auth variables pointing at it: other local users cannot submit work to this Ray, and every Ray client of
# these scripts (serve run, the waits, the stop scripts) reads the same file.
new_state_dir() {
  rm -rf "$1"
  mkdir -p "$1"
  chmod 700 "$1"
  "$PY" -c 'import secrets; print(secrets.token_hex(32))' >"$1/auth_token"
  chmod 600 "$1/auth_token"
  export RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$1/auth_token"
}
