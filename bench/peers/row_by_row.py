import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "row_by_row": the single-process status quo.
#
# pandas reads the CSV, then one onnxruntime session.run per row (batch of 1),
# in input order, in the main thread. No batching, no parallelism beyond what
# onnxruntime does inside one run.
#
#   python row_by_row.py --input CSV --manifest JSON --output PRED.csv \
#       --timing TIMING.json [--warm-runs N] [--intra-op-threads K]

import os  # noqa: E402
import sys  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in bench/peers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _peer_common as C  # noqa: E402

PEER = "row_by_row"


def _extra(p):
    p.add_argument("--intra-op-threads", type=int, default=0,
                   help="onnxruntime intra-op threads (default 0 = onnxruntime's own "
                        "default, as an unconfigured user gets)")


def one_pass(session, args):
    import numpy as np

    x = C.read_features_pandas(args.input, args.features)
    n = x.shape[0]
    out = np.empty(n, dtype=np.float32)
    run = session.run
    outputs = [args.output_name]
    name = args.input_name
    for i in range(n):
        out[i] = run(outputs, {name: x[i:i + 1]})[0][0, 0]
    return out


def main():
    args = C.parse_args(PEER, "Score every row with one session.run per row.", _extra)
    import numpy as np  # noqa: F401
    import onnxruntime as ort
    import pandas as pd  # noqa: F401  (imported before the clock for the first pass starts)

    t_init0 = time.perf_counter()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.intra_op_threads
    session = ort.InferenceSession(args.model, sess_options=so,
                                   providers=["CPUExecutionProvider"])
    t_ready = time.perf_counter()

    t0 = time.perf_counter()
    scores = one_pass(session, args)
    cold_ms = C.ms(t0, time.perf_counter())
    C.log(f"{PEER}: cold pass {cold_ms:.0f} ms for {scores.shape[0]} rows")

    warm = C.warm_passes(PEER, args.warm_runs, lambda: one_pass(session, args), scores.shape)

    C.finish(PEER, args, _T_START, t_init0, t_ready, scores, cold_ms, warm, {"params": {"intra_op_threads": args.intra_op_threads, "batch_size": 1}})


if __name__ == "__main__":
    main()
