import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "ray_actor_pool": Ray Core, hand-rolled.
#
# ray.init(num_cpus=2, include_dashboard=False), a pool of 2 actors (1 CPU each)
# that each load the manifest's models once (onnxruntime, 1 intra-op thread). Per pass
# the driver reads the CSV with pandas, cuts the float32 [N, features] matrix into coarse
# contiguous chunks (the last one may be partial; nothing is dropped), submits
# them all at once round-robin to the actors, gathers them with one ray.get and
# concatenates in input order.
#
#   python ray_actor_pool.py --input CSV --manifest JSON --output PRED.csv \
#       --timing TIMING.json [--warm-runs N] [--chunks K] [--actors A]

import os  # noqa: E402
import sys  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in bench/peers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _peer_common as C  # noqa: E402

PEER = "ray_actor_pool"


def _extra(p):
    p.add_argument("--chunks", type=int, default=2,
                   help="chunks per pass (default 2 = one per actor)")
    p.add_argument("--actors", type=int, default=2, help="actors in the pool (default 2)")
    C.add_ray_args(p)


def make_scorer_class(ray):
    @ray.remote(num_cpus=1)
    class Scorer:
        def __init__(self, peer_dir, model_bytes, models, features):
            # The actor runs in a Ray worker: the shared helpers are imported from this directory, not shipped.
            sys.dont_write_bytecode = True
            sys.path.insert(0, peer_dir)
            import _peer_common

            self.common = _peer_common
            self.sessions = [_peer_common.open_session(b, 1) for b in model_bytes]
            self.models = models
            self.features = features

        def ready(self):
            return True

        def score(self, x):
            # x: float32 [n, features] (zero-copy, read-only view from the object store)
            return self.common.run_models(self.sessions, self.models, x, self.features)

    return Scorer


def one_pass(ray, actors, args):
    x = C.read_features_pandas(args.input, args.features)
    n = x.shape[0]
    k = max(1, min(args.chunks, n))
    size = -(-n // k) if n else 1  # ceil: the last chunk may be smaller, never dropped
    refs = []
    for j, start in enumerate(range(0, n, size) if n else [0]):
        refs.append(actors[j % len(actors)].score.remote(x[start:start + size]))
    out = C.concat_columns(ray.get(refs), args.columns)
    if C.row_count(out) != n:
        raise SystemExit(f"{PEER}: gathered {C.row_count(out)} scores for {n} rows")
    return out


def main():
    args = C.parse_args(PEER, "Score with a hand-rolled pool of Ray actors.", _extra)
    import numpy as np  # noqa: F401
    import pandas as pd  # noqa: F401

    C.prepare_ray_env()
    import ray

    t_init0 = time.perf_counter()
    C.ray_init(ray, args)
    t_ray = time.perf_counter()
    model_bytes = []
    for model in args.models:
        with open(model["path"], "rb") as f:
            model_bytes.append(f.read())
    model_ref = ray.put(model_bytes)
    Scorer = make_scorer_class(ray)
    here = os.path.dirname(os.path.abspath(__file__))
    actors = [Scorer.remote(here, model_ref, args.models, args.features) for _ in range(args.actors)]
    ray.get([a.ready.remote() for a in actors])  # actors up, model loaded
    t_ready = time.perf_counter()

    C.score_and_finish(PEER, args, _T_START, t_init0, t_ready, lambda: one_pass(ray, actors, args), {
        "ray_init_ms": C.ms(t_init0, t_ray),
        "actors_ready_ms": C.ms(t_ray, t_ready),
        "params": {"num_cpus": args.num_cpus, "actors": args.actors, "chunks": args.chunks, "intra_op_threads": 1},
    }, shutdown=ray.shutdown)


if __name__ == "__main__":
    main()
