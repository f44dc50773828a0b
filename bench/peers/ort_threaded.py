import time; _T_START = time.perf_counter()  # noqa: E702  (process start, as early as possible)

# Peer "ort_threaded": the strongest single process a Python user writes without Ray.
#
# pyarrow reads the CSV with its multi-threaded reader (only the models' feature
# columns), one onnxruntime session per model with intra-op threads = cores, and
# each model scores every row in batches of 1,024 rows, in input order, then the next model;
# pyarrow writes the predictions CSV. Runs in .venv/peers-ort: the newest
# onnxruntime on PyPI (requirements-ort.txt), not the Ray peers' 1.30.
#
#   python ort_threaded.py --input CSV --manifest JSON --output PRED.csv \
#       --timing TIMING.json [--warm-runs N] [--batch-rows B] [--intra-op-threads K] [--denormals-as-zero]

import os  # noqa: E402
import sys  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in bench/peers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _peer_common as C  # noqa: E402

PEER = "ort_threaded"


def _extra(p):
    p.add_argument("--batch-rows", type=int, default=1024, help="rows per session.run (default 1024)")
    p.add_argument("--intra-op-threads", type=int, default=os.cpu_count(),
                   help="onnxruntime intra-op threads per session (default: the cores)")
    p.add_argument("--denormals-as-zero", action="store_true",
                   help="session option session.set_denormal_as_zero (flush-to-zero; peer ort_threaded_ftz)")


def read_features_arrow(path, features):
    """pyarrow's multi-threaded CSV reader; float64 parse then float32, as pandas and batch-infer round."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=True),
                           convert_options=pacsv.ConvertOptions(include_columns=features,
                                                                column_types={c: pa.float64() for c in features}))
    return np.column_stack([table.column(c).to_numpy() for c in features]).astype(np.float32)


def one_pass(sessions, args):
    """Each model over every batch, then the next model. Not every model per batch: each session has its own
    intra-op thread pool, whose threads spin for a while after a call, so alternating four sessions per batch
    left their pools competing for 2 cores (measured: 3.55-3.63 s per 100k rows against 1.38-1.44 s this way)."""
    x = read_features_arrow(args.input, args.features)
    step = args.batch_rows
    scored = {}
    for session, model in zip(sessions, args.models):
        parts = [C.run_models([session], [model], x[at:at + step], args.features) for at in range(0, x.shape[0], step)]
        scored.update(C.concat_columns(parts, [c for _, columns in model["outputs"] for c in columns]) if parts else C.run_models([session], [model], x, args.features))
    return {c: scored[c] for c in args.columns}


def write_arrow(path, scored):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write((",".join(scored) + "\n").encode())  # pyarrow would quote the header's names
        pacsv.write_csv(pa.table(scored), f, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    os.replace(tmp, path)


def main():
    args = C.parse_args(PEER, "Score in one process: pyarrow CSV, onnxruntime threads, 1,024-row batches.", _extra)
    import numpy as np  # noqa: F401
    import onnxruntime as ort
    import pyarrow.csv  # noqa: F401

    C.score_in_process(PEER, args, _T_START, one_pass, {"params": {
        "intra_op_threads": args.intra_op_threads, "batch_rows": args.batch_rows, "onnxruntime": ort.__version__,
    }}, write=write_arrow)


if __name__ == "__main__":
    main()
