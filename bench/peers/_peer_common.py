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
                   help="batch-infer manifest (the one batch-infer is given): one or more models, "
                        "one input each")
    p.add_argument("--output", required=True, help="predictions CSV (the manifest's output columns)")
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
    """Takes the models, their feature columns, tensor names and output columns from the batch-infer manifest,
    so that every peer scores exactly what batch-infer scores. Sets args.models (one dict per model),
    args.features (every model's columns, first seen first) and args.columns (every output column, in order)."""
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    base = os.path.dirname(os.path.abspath(args.manifest))
    args.models, args.features, args.columns = [], [], []
    for model in manifest.get("models", []):
        if len(model.get("inputs", [])) != 1:
            p.error(f"--manifest {args.manifest}: model {model.get('name')!r}: the peers take one input per model")
        features = model["inputs"][0]["columns"]
        outputs = [(o["name"], o["columns"]) for o in model["outputs"]]
        args.models.append({"name": model["name"], "path": os.path.join(base, model["path"]),
                            "input_name": model["inputs"][0]["name"], "features": features, "outputs": outputs})
        args.features += [c for c in features if c not in args.features]
        args.columns += [c for _, columns in outputs for c in columns]
    if not args.models:
        p.error(f"--manifest {args.manifest}: no models")


def read_features_pandas(path, features):
    """Read the snapshot with pandas; return float32 [N, len(features)] in that order.

    The C parser handles quoted transaction names (commas, doubled quotes);
    only the metric columns are converted (usecols)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(path, usecols=features, dtype={c: "float64" for c in features},
                     engine="c")
    return np.ascontiguousarray(df[features].to_numpy(dtype=np.float32))


def model_matrix(x, features, model):
    """The model's own columns of x (whose columns are `features`), contiguous, in the model's order."""
    import numpy as np

    at = [features.index(c) for c in model["features"]]
    return x if at == list(range(x.shape[1])) else np.ascontiguousarray(x[:, at])


def run_models(sessions, models, x, features):
    """One session.run per model on x; returns {output column: 1-D array of len(x)}, in manifest order.
    Also imported by the Ray actors (they put this directory on their sys.path)."""
    import numpy as np

    n, scored = x.shape[0], {}
    for session, model in zip(sessions, models):
        names = [name for name, _ in model["outputs"]]
        arrays = session.run(names, {model["input_name"]: model_matrix(x, features, model)})
        for array, (_, columns) in zip(arrays, model["outputs"]):
            array = np.asarray(array).reshape(n, len(columns))
            scored.update((c, array[:, j]) for j, c in enumerate(columns))
    return scored


def concat_columns(parts, columns):
    """Joins per-chunk {column: array} dicts in chunk order."""
    import numpy as np

    return {c: np.concatenate([part[c] for part in parts]) for c in columns}


def row_count(scored):
    return int(next(iter(scored.values())).shape[0])


def open_session(path, intra_op_threads, denormals_as_zero=False):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = intra_op_threads
    so.inter_op_num_threads = 1
    if denormals_as_zero:
        # Flush-to-zero on the session's threads; onnxruntime applies it to the calling thread for the first
        # session of the process only, which is this peer's one thread creating every session.
        so.add_session_config_entry("session.set_denormal_as_zero", "1")
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def ms(t0, t1):
    return round((t1 - t0) * 1000.0, 3)


def write_predictions(path, scored):
    """One header line (the output columns), then one line per row: integers as such, floats as repr() of the
    float32 value as a Python float (shortest string that round-trips the double, hence also the float32)."""
    import numpy as np

    texts = []
    for values in scored.values():
        is_integer = values.dtype.kind in "iu"
        texts.append(list(map(str if is_integer else repr, (values if is_integer else values.astype(np.float64)).tolist())))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(scored) + "\n")
        for line in zip(*texts):
            f.write(",".join(line))
            f.write("\n")
    os.replace(tmp, path)


def write_timing(path, t_start, record):
    record["total_process_ms"] = ms(t_start, time.perf_counter())
    with open(path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return record


def finish(peer, args, t_start, t_init0, t_ready, scored, cold_ms, warm, extra, shutdown=None, write=None):
    """Writes the predictions, shuts the runtime down (when given a way to), and writes the timing JSON with the
    keys every peer reports, plus `extra`."""
    t0 = time.perf_counter()
    (write or write_predictions)(args.output, scored)
    record = {
        "peer": peer,
        "rows": row_count(scored),
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


def score_and_finish(peer, args, t_start, t_init0, t_ready, one_pass, extra, shutdown=None, write=None):
    """The part every peer shares once its runtime is ready: the cold pass, the warm passes, then finish()."""
    t0 = time.perf_counter()
    scored = one_pass()
    cold_ms = ms(t0, time.perf_counter())
    log(f"{peer}: cold pass {cold_ms:.0f} ms for {row_count(scored)} rows")
    warm = warm_passes(peer, args.warm_runs, one_pass, row_count(scored))
    return finish(peer, args, t_start, t_init0, t_ready, scored, cold_ms, warm, extra, shutdown=shutdown, write=write)


def score_in_process(peer, args, t_start, one_pass, extra, write=None):
    """The single-process peers: one session per model (args.intra_op_threads threads), then score_and_finish
    with one_pass(sessions, args)."""
    t_init0 = time.perf_counter()
    sessions = [open_session(m["path"], args.intra_op_threads, getattr(args, "denormals_as_zero", False)) for m in args.models]
    t_ready = time.perf_counter()
    return score_and_finish(peer, args, t_start, t_init0, t_ready, lambda: one_pass(sessions, args), extra, write=write)


def warm_passes(peer, count, one_pass, rows):
    """Times `count` further full passes in this process; each must score as many rows as the cold one."""
    warm = []
    for i in range(count):
        t0 = time.perf_counter()
        scored = one_pass()
        warm.append(ms(t0, time.perf_counter()))
        log(f"{peer}: warm pass {i + 1}: {warm[-1]:.0f} ms")
        if row_count(scored) != rows:
            raise SystemExit(f"{peer}: warm pass returned {row_count(scored)} rows, cold {rows}")
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
