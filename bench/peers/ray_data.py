import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "ray_data": Ray Data, the library way.
#
# ray.init(num_cpus=2, include_dashboard=False); per pass
#   ray.data.read_csv(CSV, only the models' feature columns)
#     .map_batches(Scorer, compute=ActorPoolStrategy(size=2), num_cpus=0.5,
#                  batch_format="numpy")
# with DataContext.execution_options.preserve_order = True, and the scores
# collected in order with iter_batches. Scorer is a callable class: each of the
# 2 actors loads the manifest's models once (onnxruntime, 1 intra-op thread) in __init__.
#
# Ray Data builds a new actor pool for every execution of a dataset, so every
# pass (cold and warm) includes starting the 2 actors and loading the model in
# them; init_ms is ray.init and the DataContext set-up only.
#
# Actors take 0.5 CPU each: with 1 CPU each on 2 CPUs nothing is left for the
# read tasks (1 CPU each) and the job stalls.
#
#   python ray_data.py --input CSV --manifest JSON --output PRED.csv \
#       --timing TIMING.json [--warm-runs N] [--batch-size B] [--blocks K]

import os  # noqa: E402
import sys  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in bench/peers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _peer_common as C  # noqa: E402

PEER = "ray_data"


def _extra(p):
    C.add_ray_args(p)
    p.add_argument("--actors", type=int, default=2, help="actor pool size (default 2)")
    p.add_argument("--actor-cpus", type=float, default=0.5,
                   help="num_cpus per actor (default 0.5; 1 on 2 CPUs starves the reads)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="map_batches batch_size (default: none, one batch per block)")
    p.add_argument("--blocks", type=int, default=None,
                   help="read_csv override_num_blocks (default: Ray Data decides)")


class Scorer:
    """Callable class for map_batches: one onnxruntime session per model and actor."""

    def __init__(self, peer_dir, models, features):
        # The actor runs in a Ray worker: the shared helpers are imported from this directory, not shipped.
        sys.dont_write_bytecode = True
        sys.path.insert(0, peer_dir)
        import _peer_common

        self.common = _peer_common
        self.sessions = [_peer_common.open_session(m["path"], 1) for m in models]
        self.models = models
        self.features = features

    def __call__(self, batch):
        import numpy as np

        x = np.stack([np.asarray(batch[c], dtype=np.float32) for c in self.features], axis=1)
        return self.common.run_models(self.sessions, self.models, x, self.features)


def one_pass(ray, args):
    import pyarrow.csv as pacsv

    read_kwargs = {}
    if args.blocks:
        read_kwargs["override_num_blocks"] = args.blocks
    ds = ray.data.read_csv(
        args.input,
        convert_options=pacsv.ConvertOptions(include_columns=args.features),
        **read_kwargs,
    )
    ds = ds.map_batches(
        Scorer,
        fn_constructor_args=(os.path.dirname(os.path.abspath(__file__)), args.models, args.features),
        compute=ray.data.ActorPoolStrategy(size=args.actors),
        num_cpus=args.actor_cpus,
        batch_size=args.batch_size,
        batch_format="numpy",
    )
    parts = list(ds.iter_batches(batch_size=None, batch_format="numpy"))
    return C.concat_columns(parts, args.columns)


def main():
    args = C.parse_args(PEER, "Score with Ray Data read_csv + map_batches on an actor pool.",
                        _extra)
    import numpy as np  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.csv  # noqa: F401

    C.prepare_ray_env()
    import ray
    import ray.data

    if args.actors * args.actor_cpus > args.num_cpus - 1:
        # Each read task takes 1 CPU; without one free the read is never scheduled
        # and the execution waits forever (seen with 2 actors x 1 CPU on 2 CPUs).
        raise SystemExit(f"{PEER}: --actors {args.actors} x --actor-cpus {args.actor_cpus:g} "
                         f"leaves no CPU of --num-cpus {args.num_cpus} for the read tasks; "
                         f"Ray Data would stall")

    t_init0 = time.perf_counter()
    C.ray_init(ray, args)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    t_ready = time.perf_counter()

    C.score_and_finish(PEER, args, _T_START, t_init0, t_ready, lambda: one_pass(ray, args), {
        "params": {"num_cpus": args.num_cpus, "actors": args.actors, "actor_cpus": args.actor_cpus,
                   "batch_size": args.batch_size, "blocks": args.blocks, "intra_op_threads": 1,
                   "actor_pool_per_pass": True},
    }, shutdown=ray.shutdown)


if __name__ == "__main__":
    main()
