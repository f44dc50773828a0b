"""Shared driver-side helpers for the Python peers (CLI, CSV read, output, timing).

Only the driver process imports this module; the Ray actors are defined in the
peer scripts themselves (so cloudpickle ships them by value and the workers do
not need this directory on their sys.path).
"""

import argparse
import json
import os
import sys
import time

def parse_args(peer, description, extra=None):
    p = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]), description=description)
    p.add_argument("--input", required=True, help="APM CSV snapshot")
    p.add_argument("--manifest", required=True,
                   help="batch-infer manifest of the model (the one batch-infer is given): one model, "
                        "one input, one output column")
    p.add_argument("--output", required=True, help="predictions CSV (one column: the manifest's output)")
    p.add_argument("--timing", required=True, help="timing JSON")
    p.add_argument("--warm-runs", type=int, default=0,
                   help="full passes after the cold one, same process (default 0)")
    if extra is not None:
        extra(p)
    args = p.parse_args()
    if args.warm_runs < 0:
        p.error("--warm-runs must be >= 0")
    args.peer = peer
    read_manifest(p, args)
    return args


def read_manifest(p, args):
    """Takes the model file, feature columns, tensor names and output column from the batch-infer manifest,
    so that every peer scores exactly what batch-infer scores."""
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    models = manifest.get("models", [])
    if len(models) != 1 or len(models[0].get("inputs", [])) != 1 or len(models[0].get("outputs", [])) != 1:
        p.error(f"--manifest {args.manifest}: the peers take one model with one input and one output")
    model, = models
    args.model = os.path.join(os.path.dirname(os.path.abspath(args.manifest)), model["path"])
    args.features = model["inputs"][0]["columns"]
    args.input_name = model["inputs"][0]["name"]
    args.output_name = model["outputs"][0]["name"]
    args.output_column = model["outputs"][0]["columns"][0]


def read_features_pandas(path, features):
    """Read the snapshot with pandas; return float32 [N, len(features)] in that order.

    The C parser handles quoted transaction names (commas, doubled quotes);
    only the metric columns are converted (usecols)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(path, usecols=features, dtype={c: "float64" for c in features},
                     engine="c")
    return np.ascontiguousarray(df[features].to_numpy(dtype=np.float32))


def ms(t0, t1):
    return round((t1 - t0) * 1000.0, 3)


def write_predictions(path, scores, column):
    """One header line (the output column), then one line per row: repr() of the float32
    value as a Python float (shortest string that round-trips the double, hence
    also the float32)."""
    import numpy as np

    vals = np.asarray(scores, dtype=np.float32).reshape(-1).astype(np.float64).tolist()
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(column + "\n")
        if vals:
            f.write("\n".join(map(repr, vals)))
            f.write("\n")
    os.replace(tmp, path)


def write_timing(path, t_start, record):
    record["total_process_ms"] = ms(t_start, time.perf_counter())
    with open(path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return record


def finish(peer, args, t_start, t_init0, t_ready, scores, cold_ms, warm, extra, shutdown=None):
    """Writes the predictions, shuts the runtime down (when given a way to), and writes the timing JSON with the
    keys every peer reports, plus `extra`."""
    t0 = time.perf_counter()
    write_predictions(args.output, scores, args.output_column)
    record = {
        "peer": peer,
        "rows": int(scores.shape[0]),
        "process_start_to_ready_ms": ms(t_start, t_ready),
        "init_ms": ms(t_init0, t_ready),
        "cold_ms": cold_ms,
        "warm_ms": warm,
        "write_ms": ms(t0, time.perf_counter()),
    }
    if shutdown is not None:
        t0 = time.perf_counter()
        shutdown()
        record["shutdown_ms"] = ms(t0, time.perf_counter())
    record.update(extra)
    return write_timing(args.timing, t_start, record)


def warm_passes(peer, count, one_pass, shape):
    """Times `count` further full passes in this process; each must score as many rows as the cold one."""
    warm = []
    for i in range(count):
        t0 = time.perf_counter()
        scores = one_pass()
        warm.append(ms(t0, time.perf_counter()))
        log(f"{peer}: warm pass {i + 1}: {warm[-1]:.0f} ms")
        if scores.shape != shape:
            raise SystemExit(f"{peer}: warm pass returned {scores.shape[0]} rows, cold {shape[0]}")
    return warm


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def add_ray_args(p):
    p.add_argument("--num-cpus", type=int, default=2, help="ray.init(num_cpus=...) (default 2)")
    p.add_argument("--ray-temp-dir", default="/tmp/ray-peers",
                   help="Ray's root temp dir for this private local cluster "
                        "(default /tmp/ray-peers, kept apart from /tmp/ray)")


def prepare_ray_env():
    """Environment for a private single-node Ray on this machine; call before `import ray`.

    - RAY_USAGE_STATS_ENABLED=0: no usage-stats upload (this machine has no network).
    - RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: Ray then uses the loopback address
      (127.0.0.1) for its node instead of the address of eth0. Here the raylet
      was unreachable on that address (workers: "Failed to get the system config
      from raylet because it is dead ... Connection refused"), and
      ray.init(_node_ip_address="127.0.0.1") does not help: Ray maps 127.0.0.1
      back to the "remotely reachable" address.
    Both only fill in what the caller's environment does not set."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def ray_init(ray, args):
    """Start a private, local Ray instance for this process.

    address="local" so that ray.init() never attaches to a cluster that some
    other process started with `ray start` on this machine (ray.init() with no
    address would join the one named in /tmp/ray/ray_current_cluster, and then
    num_cpus is refused); its own _temp_dir keeps its sessions and sockets apart."""
    import logging

    os.makedirs(args.ray_temp_dir, exist_ok=True)
    ray.init(address="local", num_cpus=args.num_cpus, include_dashboard=False,
             logging_level=logging.WARNING, _temp_dir=args.ray_temp_dir)
