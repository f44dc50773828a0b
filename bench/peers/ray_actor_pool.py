import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "ray_actor_pool": Ray Core, hand-rolled.
#
# ray.init(num_cpus=2, include_dashboard=False), a pool of 2 actors (1 CPU each)
# that each load the model once (onnxruntime, 1 intra-op thread). Per pass the
# driver reads the CSV with pandas, cuts the float32 [N, 14] matrix into coarse
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
        def __init__(self, model_bytes, input_name, output_name):
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.inter_op_num_threads = 1
            self.session = ort.InferenceSession(model_bytes, sess_options=so,
                                                providers=["CPUExecutionProvider"])
            self.input_name = input_name
            self.outputs = [output_name]

        def ready(self):
            return True

        def score(self, x):
            # x: float32 [n, 14] (zero-copy, read-only view from the object store)
            return self.session.run(self.outputs, {self.input_name: x})[0].reshape(-1)

    return Scorer


def one_pass(ray, actors, path, chunks, features):
    import numpy as np

    x = C.read_features_pandas(path, features)
    n = x.shape[0]
    k = max(1, min(chunks, n))
    size = -(-n // k) if n else 0  # ceil: the last chunk may be smaller, never dropped
    refs = []
    for j, start in enumerate(range(0, n, size) if n else []):
        refs.append(actors[j % len(actors)].score.remote(x[start:start + size]))
    parts = ray.get(refs)
    out = np.concatenate(parts) if parts else np.empty(0, dtype=np.float32)
    if out.shape[0] != n:
        raise SystemExit(f"{PEER}: gathered {out.shape[0]} scores for {n} rows")
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
    with open(args.model, "rb") as f:
        model_ref = ray.put(f.read())
    Scorer = make_scorer_class(ray)
    actors = [Scorer.remote(model_ref, args.input_name, args.output_name) for _ in range(args.actors)]
    ray.get([a.ready.remote() for a in actors])  # actors up, model loaded
    t_ready = time.perf_counter()

    t0 = time.perf_counter()
    scores = one_pass(ray, actors, args.input, args.chunks, args.features)
    cold_ms = C.ms(t0, time.perf_counter())
    C.log(f"{PEER}: cold pass {cold_ms:.0f} ms for {scores.shape[0]} rows")

    warm = C.warm_passes(PEER, args.warm_runs, lambda: one_pass(ray, actors, args.input, args.chunks, args.features), scores.shape)

    C.finish(PEER, args, _T_START, t_init0, t_ready, scores, cold_ms, warm, {
        "ray_init_ms": C.ms(t_init0, t_ray),
        "actors_ready_ms": C.ms(t_ray, t_ready),
        "params": {"num_cpus": args.num_cpus, "actors": args.actors, "chunks": args.chunks, "intra_op_threads": 1},
    }, shutdown=ray.shutdown)


if __name__ == "__main__":
    main()
