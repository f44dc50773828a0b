import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "row_by_row": the single-process status quo.
#
# pandas reads the CSV, then one onnxruntime session.run per row (batch of 1)
# and model, in input order, in the main thread. No batching, no parallelism beyond what
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


def one_pass(sessions, args):
    import numpy as np

    x = C.read_features_pandas(args.input, args.features)
    n = x.shape[0]
    scored = {}
    for session, model in zip(sessions, args.models):
        xm = C.model_matrix(x, args.features, model)
        run, names, feed = session.run, [name for name, _ in model["outputs"]], model["input_name"]
        # The first row's outputs give the dtypes (int64 labels stay integers).
        outs = [np.zeros((n, len(columns)), dtype=y.dtype)
                for y, (_, columns) in zip(run(names, {feed: xm[:1]}), model["outputs"])]
        for i in range(n):
            for out, y in zip(outs, run(names, {feed: xm[i:i + 1]})):
                out[i] = y.reshape(-1)
        for out, (_, columns) in zip(outs, model["outputs"]):
            scored.update((c, out[:, j]) for j, c in enumerate(columns))
    return scored


def main():
    args = C.parse_args(PEER, "Score every row with one session.run per row.", _extra)
    import numpy as np  # noqa: F401
    import onnxruntime  # noqa: F401
    import pandas as pd  # noqa: F401  (imported before the clock for the first pass starts)

    C.score_in_process(PEER, args, _T_START, one_pass, {"params": {"intra_op_threads": args.intra_op_threads, "batch_size": 1}})


if __name__ == "__main__":
    main()
