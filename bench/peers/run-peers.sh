#!/usr/bin/env bash
# Run the Python peers on one CSV snapshot, one after the other, and check that
# their predictions agree (rtol 1e-5, atol 2.5e-7, every output column), also with a
# batch-infer output if given. MANIFEST picks the models (default: the autoencoder).
#
#   bash bench/peers/run-peers.sh INPUT.csv OUTDIR [WARM_RUNS] [BATCH_INFER_OUTPUT.csv]
#
# Writes OUTDIR/<peer>.csv, OUTDIR/<peer>.json (timing) and OUTDIR/<peer>.log
# (stderr), and prints one summary line per peer. Uses .venv/peers and, for
# ort_threaded, .venv/peers-ort (see setup-venv.sh). PEERS="row_by_row ray_data"
# limits the peers run.
# Exit status: non-zero if a peer fails or the predictions differ.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="$root/.venv/peers/bin/python"
manifest="${MANIFEST:-$root/fixtures/models/autoencoder.manifest.json}"

if [ $# -lt 2 ]; then
  echo "usage: $0 INPUT.csv OUTDIR [WARM_RUNS] [BATCH_INFER_OUTPUT.csv]" >&2
  exit 2
fi
input="$1"; out="$2"; warm="${3:-3}"; bi="${4:-}"
[ -x "$py" ] || { echo "run-peers: $py missing: run bash bench/peers/setup-venv.sh" >&2; exit 2; }
mkdir -p "$out"

peers=(${PEERS:-row_by_row ort_threaded ray_actor_pool ray_data})
for peer in "${peers[@]}"; do
  start=$(date +%s.%N)
  peer_py="$py"
  [ "$peer" = ort_threaded ] && peer_py="$root/.venv/peers-ort/bin/python"
  if ! "$peer_py" "$here/$peer.py" --input "$input" --manifest "$manifest" --output "$out/$peer.csv" \
      --timing "$out/$peer.json" --warm-runs "$warm" 2> "$out/$peer.log"; then
    echo "run-peers: $peer failed; see $out/$peer.log" >&2
    tail -n 20 "$out/$peer.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  "$py" - "$out/$peer.json" "$start" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
wall = (float(sys.argv[3]) - float(sys.argv[2])) * 1000
warm = ", ".join("%.0f" % w for w in d["warm_ms"]) or "-"
print("%-15s rows=%d ready=%.0f init=%.0f cold=%.0f warm=[%s] total=%.0f wall=%.0f ms" % (
    d["peer"], d["rows"], d["process_start_to_ready_ms"], d["init_ms"], d["cold_ms"], warm,
    d["total_process_ms"], wall))
PY
done

status=0
first="${peers[0]}"
for peer in "${peers[@]:1}"; do
  "$py" "$here/compare_predictions.py" "$out/$first.csv" "$out/$peer.csv" --rtol 1e-5 --atol 2.5e-7 \
    | sed "s|^|$first vs $peer: |" || status=1
done
if [ -n "$bi" ]; then
  for peer in "${peers[@]}"; do
    "$py" "$here/compare_predictions.py" "$out/$peer.csv" "$bi" --rtol 1e-5 --atol 2.5e-7 \
      | sed "s|^|$peer vs batch-infer: |" || status=1
  done
fi
exit $status
