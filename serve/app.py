"""Ray Serve application: the batch-infer manifest's ONNX models over the Open Inference Protocol.

KServe V2 / Open Inference Protocol, HTTP/REST, with the binary tensor data extension.

Build the application with ``build_app(args)``; ``args`` (all optional):

    manifest              path of the batch-infer manifest JSON (default: $BATCH_INFER_MANIFEST,
                          else fixtures/models/manifest.json). A relative path is tried against the
                          current directory first, then against the repository root (parent of serve/).
    replicas              num_replicas when the config file does not set it (default 2)
    num_cpus              CPUs reserved per replica (default 0.5)
    max_ongoing_requests  per replica (default 4)
    token_env             name of an environment variable holding a bearer token (default: none, no auth).
                          Each replica reads it from its own environment (set it where `ray start` runs,
                          on every node); every route but /v2/health/* then needs
                          "Authorization: Bearer <token>", else 401.
    binary_tensor_data    false: GET /v2 does not list the binary tensor data extension, so that V2 clients such
                          as batch-infer send and ask for JSON tensors (for comparisons; default true). Binary
                          requests are still accepted.

    serve run serve.app:build_app manifest=fixtures/models/manifest.json replicas=2
    serve run serve/serve-config.yaml

The manifest and the model files are read once, where the application is built (the head node for
``serve deploy``); the model bytes travel to the replicas with the deployment's init arguments, so worker
nodes need neither the manifest nor the .onnx files. Each replica creates one single-threaded
onnxruntime InferenceSession per model in __init__ and keeps it for its lifetime.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from ray import serve
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger("ray.serve")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = "fixtures/models/manifest.json"
MANIFEST_ENV = "BATCH_INFER_MANIFEST"

PID_HEADER = "X-Replica-Pid"
REPLICA_HEADER = "X-Replica-Id"
INFER_MS_HEADER = "X-Inference-Ms"  # onnxruntime session.run time, ms
SERVER_MS_HEADER = "X-Server-Ms"  # whole request inside the replica (parse + run + encode), ms
BINARY_HEADER = "Inference-Header-Content-Length"

# onnxruntime element type -> (V2 datatype, numpy little-endian dtype)
ORT_TO_V2: Dict[str, Tuple[str, Optional[str]]] = {
    "tensor(float)": ("FP32", "<f4"),
    "tensor(double)": ("FP64", "<f8"),
    "tensor(float16)": ("FP16", "<f2"),
    "tensor(int64)": ("INT64", "<i8"),
    "tensor(int32)": ("INT32", "<i4"),
    "tensor(int16)": ("INT16", "<i2"),
    "tensor(int8)": ("INT8", "i1"),
    "tensor(uint64)": ("UINT64", "<u8"),
    "tensor(uint32)": ("UINT32", "<u4"),
    "tensor(uint16)": ("UINT16", "<u2"),
    "tensor(uint8)": ("UINT8", "u1"),
    "tensor(bool)": ("BOOL", "?"),
    "tensor(string)": ("BYTES", None),
}
NUMPY_TO_V2 = {
    np.dtype(np.float32): "FP32",
    np.dtype(np.float64): "FP64",
    np.dtype(np.float16): "FP16",
    np.dtype(np.int64): "INT64",
    np.dtype(np.int32): "INT32",
    np.dtype(np.int16): "INT16",
    np.dtype(np.int8): "INT8",
    np.dtype(np.uint64): "UINT64",
    np.dtype(np.uint32): "UINT32",
    np.dtype(np.uint16): "UINT16",
    np.dtype(np.uint8): "UINT8",
    np.dtype(np.bool_): "BOOL",
}

HEALTH_PATHS = ("/v2/health/live", "/v2/health/ready")  # open: probes and load balancers send no token
REPLICA_COUNT_TTL_S = 2.0  # how long metadata reuses the running-replica count read from the controller

_PATH_RE = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?/?$")


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _dim(d: Any) -> int:
    return d if isinstance(d, int) and d >= 0 else -1


def _contains_none(data: Any) -> bool:
    if data is None:
        return True
    if isinstance(data, list):
        return any(_contains_none(d) for d in data)
    return False


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes")
    return bool(v)


# ----------------------------------------------------------------------------------------------------
# Model holder (plain Python, testable without Ray)
# ----------------------------------------------------------------------------------------------------


class LoadedModel:
    def __init__(self, name: str, model_bytes: bytes):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.name = name
        self.session = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
        self.inputs: Dict[str, dict] = {}
        for i in self.session.get_inputs():
            v2, np_dt = ORT_TO_V2.get(i.type, (None, None))
            if v2 is None:
                raise ValueError(f"model {name}: input {i.name} has unsupported type {i.type}")
            self.inputs[i.name] = {"datatype": v2, "dtype": np_dt, "shape": [_dim(d) for d in i.shape]}
        self.outputs: Dict[str, dict] = {}
        for o in self.session.get_outputs():
            v2, _ = ORT_TO_V2.get(o.type, (None, None))
            if v2 is None or v2 == "BYTES":
                continue  # maps / sequences (e.g. zipmap) are not served
            self.outputs[o.name] = {"datatype": v2, "shape": [_dim(d) for d in o.shape]}

    def metadata(self, parameters: dict) -> dict:
        return {
            "name": self.name,
            "versions": ["1"],
            "platform": "onnxruntime_onnx",
            "inputs": [{"name": n, "datatype": m["datatype"], "shape": m["shape"]} for n, m in self.inputs.items()],
            "outputs": [{"name": n, "datatype": m["datatype"], "shape": m["shape"]} for n, m in self.outputs.items()],
            "parameters": parameters,
        }

    # -- request decoding ----------------------------------------------------------------------------

    def _decode_input(self, spec: Any, binary: Optional[memoryview], offset: int) -> Tuple[str, np.ndarray, int]:
        if not isinstance(spec, dict):
            raise HTTPError(400, "each input must be an object")
        name = spec.get("name")
        if not isinstance(name, str):
            raise HTTPError(400, "input without a name")
        meta = self.inputs.get(name)
        if meta is None:
            raise HTTPError(400, f"unknown input '{name}' for model '{self.name}' (expected: {', '.join(self.inputs)})")
        datatype = spec.get("datatype")
        if datatype != meta["datatype"]:
            raise HTTPError(400, f"input '{name}': datatype {datatype!r}, model expects {meta['datatype']}")
        if meta["dtype"] is None:
            raise HTTPError(400, f"input '{name}': datatype {datatype} is not supported")
        shape = spec.get("shape")
        if (
            not isinstance(shape, list)
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise HTTPError(400, f"input '{name}': shape must be a list of non-negative integers")
        want = meta["shape"]
        if len(shape) != len(want) or any(w != -1 and w != s for w, s in zip(want, shape)):
            raise HTTPError(400, f"input '{name}': shape {shape} does not match the model's {want}")
        count = math.prod(shape)
        dtype = np.dtype(meta["dtype"])
        params = spec.get("parameters") or {}
        if not isinstance(params, dict):
            raise HTTPError(400, f"input '{name}': parameters must be an object")
        if "binary_data_size" in params:
            if binary is None:
                raise HTTPError(400, f"input '{name}': binary_data_size without {BINARY_HEADER} header")
            size = params["binary_data_size"]
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise HTTPError(400, f"input '{name}': binary_data_size must be a non-negative integer")
            if size != count * dtype.itemsize:
                raise HTTPError(
                    400,
                    f"input '{name}': binary_data_size {size} != {count} elements x {dtype.itemsize} bytes",
                )
            if offset + size > len(binary):
                raise HTTPError(400, f"input '{name}': binary data ends early ({len(binary) - offset} bytes left, need {size})")
            arr = np.frombuffer(binary, dtype=dtype, count=count, offset=offset).reshape(shape)
            return name, arr, offset + size
        if "data" not in spec:
            raise HTTPError(400, f"input '{name}': no data and no binary_data_size")
        data = spec["data"]
        try:
            arr = np.asarray(data, dtype=dtype)
        except (ValueError, TypeError, OverflowError) as e:
            raise HTTPError(400, f"input '{name}': data is not {datatype}: {e}") from None
        if arr.size != count:
            raise HTTPError(400, f"input '{name}': {arr.size} data elements for shape {shape} ({count})")
        if arr.dtype.kind == "f" and arr.size and np.isnan(arr).any() and _contains_none(data):
            raise HTTPError(400, f"input '{name}': data contains null")
        return name, arr.reshape(shape), offset

    def infer(self, body: bytes, header_length: Optional[str]):
        """Returns (status, headers, content bytes, inference_ms)."""
        binary: Optional[memoryview] = None
        if header_length is not None:
            try:
                hlen = int(header_length)
            except ValueError:
                raise HTTPError(400, f"{BINARY_HEADER} is not an integer") from None
            if hlen < 0 or hlen > len(body):
                raise HTTPError(400, f"{BINARY_HEADER} {hlen} outside the body ({len(body)} bytes)")
            json_part = body[:hlen]
            binary = memoryview(body)[hlen:]
        else:
            json_part = body
        try:
            req = json.loads(json_part)
        except (ValueError, UnicodeDecodeError) as e:
            raise HTTPError(400, f"request is not valid JSON: {e}") from None
        if not isinstance(req, dict):
            raise HTTPError(400, "request must be a JSON object")
        inputs = req.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise HTTPError(400, "request needs a non-empty 'inputs' list")
        feeds: Dict[str, np.ndarray] = {}
        offset = 0
        for spec in inputs:
            name, arr, offset = self._decode_input(spec, binary, offset)
            if name in feeds:
                raise HTTPError(400, f"input '{name}' given twice")
            feeds[name] = arr
        if binary is not None and offset != len(binary):
            raise HTTPError(400, f"{len(binary) - offset} unused bytes after the binary tensors")
        missing = [n for n in self.inputs if n not in feeds]
        if missing:
            raise HTTPError(400, f"missing input(s): {', '.join(missing)}")

        req_params = req.get("parameters") or {}
        if not isinstance(req_params, dict):
            raise HTTPError(400, "'parameters' must be an object")
        all_binary = _truthy(req_params.get("binary_data_output", False))
        out_specs = req.get("outputs")
        wanted: List[Tuple[str, bool]] = []
        if out_specs is None or out_specs == []:
            wanted = [(n, all_binary) for n in self.outputs]
        else:
            if not isinstance(out_specs, list):
                raise HTTPError(400, "'outputs' must be a list")
            for o in out_specs:
                if not isinstance(o, dict) or not isinstance(o.get("name"), str):
                    raise HTTPError(400, "each requested output must be an object with a name")
                if o["name"] not in self.outputs:
                    raise HTTPError(
                        400, f"unknown output '{o['name']}' for model '{self.name}' (available: {', '.join(self.outputs)})"
                    )
                p = o.get("parameters") or {}
                if not isinstance(p, dict):
                    raise HTTPError(400, f"output '{o['name']}': parameters must be an object")
                b = all_binary
                for key in ("binary_data", "binary_data_output"):
                    if key in p:
                        b = _truthy(p[key])
                wanted.append((o["name"], b))

        t0 = time.perf_counter()
        try:
            results = self.session.run([n for n, _ in wanted], feeds)
        except Exception as e:  # onnxruntime rejected the feed (values, shapes the metadata let through)
            raise HTTPError(400, f"onnxruntime: {e}") from None
        inference_ms = (time.perf_counter() - t0) * 1000.0

        outputs = []
        chunks: List[bytes] = []
        for (name, as_binary), arr in zip(wanted, results):
            arr = np.asarray(arr)
            v2 = NUMPY_TO_V2.get(arr.dtype)
            if v2 is None:
                raise HTTPError(500, f"output '{name}' has unsupported dtype {arr.dtype}")
            entry: Dict[str, Any] = {"name": name, "datatype": v2, "shape": list(arr.shape)}
            if as_binary:
                raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
                entry["parameters"] = {"binary_data_size": len(raw)}
                chunks.append(raw)
            else:
                entry["data"] = arr.reshape(-1).tolist()
            outputs.append(entry)
        rid = req.get("id")
        resp = {
            "model_name": self.name,
            "model_version": "1",
            "id": rid if isinstance(rid, str) else (str(rid) if rid is not None else uuid.uuid4().hex),
            "outputs": outputs,
        }
        head = json.dumps(resp, separators=(",", ":")).encode()
        if chunks:
            return (
                200,
                {BINARY_HEADER: str(len(head)), "content-type": "application/octet-stream"},
                b"".join([head, *chunks]),
                inference_ms,
            )
        return 200, {"content-type": "application/json"}, head, inference_ms


def read_manifest(manifest: str) -> Dict[str, bytes]:
    """Reads the manifest and every model file; returns {model name: onnx bytes} in manifest order."""
    p = Path(manifest)
    if not p.is_absolute() and not p.exists():
        p = REPO_ROOT / manifest
    if not p.is_file():
        raise FileNotFoundError(f"manifest not found: {manifest} (cwd {os.getcwd()}, repo {REPO_ROOT})")
    doc = json.loads(p.read_text())
    models = doc.get("models")
    if not isinstance(models, list) or not models:
        raise ValueError(f"{p}: 'models' must be a non-empty list")
    out: Dict[str, bytes] = {}
    for i, m in enumerate(models):
        name = m.get("name") or f"model{i}"
        if name in out:
            raise ValueError(f"{p}: duplicate model name {name}")
        path = m.get("path")
        if not isinstance(path, str):
            raise ValueError(f"{p}: model {name} has no path")
        mp = Path(path) if Path(path).is_absolute() else p.parent / path
        out[name] = mp.read_bytes()
    return out


# ----------------------------------------------------------------------------------------------------
# Ray Serve deployment
# ----------------------------------------------------------------------------------------------------


def _bind_internal_grpc_to_loopback() -> None:
    """On a loopback-only Ray node, keep the replica's internal gRPC server on 127.0.0.1.

    Every Serve replica starts an inter-deployment gRPC server right after the user constructor, bound
    to "[::]:0" (all interfaces; this app never uses it: RAY_SERVE_USE_GRPC_BY_DEFAULT is off). When the
    node's Ray address is a loopback one (serve/start-local.sh, serve/start-cluster.sh) nothing off the
    machine may reach it anyway, so bind it to loopback. On a real multi-node cluster the node IP is not loopback and nothing changes.
    Set BATCH_INFER_SERVE_KEEP_GRPC_BIND=1 to disable.
    """
    if os.environ.get("BATCH_INFER_SERVE_KEEP_GRPC_BIND") == "1":
        return
    try:
        import ray
        from ray.serve._private import replica as _replica

        ip = ray.util.get_node_ip_address()
        if not (ip.startswith("127.") or ip in ("::1", "localhost")):
            return
        original = _replica.add_port_to_grpc_server
        if getattr(original, "_batch_infer_loopback", False):
            return

        def add_port(server, address):
            if address in ("[::]:0", "0.0.0.0:0"):
                address = "127.0.0.1:0"
            return original(server, address)

        add_port._batch_infer_loopback = True
        _replica.add_port_to_grpc_server = add_port
    except Exception as e:  # private API moved: leave Serve's default
        logger.warning("could not rebind the replica's internal gRPC server to loopback: %s", e)


@serve.deployment(
    name="OnnxModels",
    num_replicas=2,
    max_ongoing_requests=4,
    ray_actor_options={"num_cpus": 0.5},
    health_check_period_s=2,
    health_check_timeout_s=10,
)
class OnnxModels:
    def __init__(self, models: Dict[str, bytes], token_env: Optional[str] = None, binary_tensor_data: bool = True):
        t0 = time.perf_counter()
        _bind_internal_grpc_to_loopback()
        self.token = read_token(token_env)
        self.extensions = ["binary_tensor_data"] if binary_tensor_data else []
        self.replica_count: Optional[int] = None
        self.replica_count_at = 0.0
        self.pid = os.getpid()
        self.models = {name: LoadedModel(name, blob) for name, blob in models.items()}
        # One worker thread: each replica scores one request at a time on one core (sessions are
        # single-threaded); the event loop stays free for health and metadata requests.
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infer")
        try:
            self.replica_id = serve.get_replica_context().replica_tag
        except Exception:
            self.replica_id = ""
        logger.info(
            "replica pid %s loaded %s in %.0f ms", self.pid, ", ".join(self.models), (time.perf_counter() - t0) * 1000
        )

    async def _running_replicas(self, configured: int) -> int:
        """Replicas of this deployment in state RUNNING, from the Serve controller, cached for a few seconds.

        The replica's own context only knows the configured count (num_replicas, or nothing with autoscaling);
        serve.status() asks the controller, a blocking call, so it runs off the event loop. On failure the
        configured count is returned.
        """
        now = time.monotonic()
        if self.replica_count is not None and now - self.replica_count_at < REPLICA_COUNT_TTL_S:
            return self.replica_count
        try:
            ctx = serve.get_replica_context()
            status = await asyncio.to_thread(serve.status)
            states = status.applications[ctx.app_name].deployments[ctx.deployment].replica_states
            count = int(states.get("RUNNING", 0))
        except Exception as e:
            logger.warning("could not read the running replica count from the controller: %s", e)
            return configured
        self.replica_count, self.replica_count_at = max(count, 1), now
        return self.replica_count

    async def _replica_params(self) -> dict:
        params: Dict[str, Any] = {}
        try:
            ctx = serve.get_replica_context()
            cfg = ctx._deployment_config
        except Exception:  # outside Serve (tests)
            return {"replicas": 1}
        auto = cfg.autoscaling_config
        if auto is not None:
            params["min_replicas"] = auto.min_replicas
            params["max_replicas"] = auto.max_replicas
            configured = int(auto.initial_replicas or auto.min_replicas or 1)
        else:
            configured = int(cfg.num_replicas)
        params["replicas"] = await self._running_replicas(configured)
        params["max_ongoing_requests"] = cfg.max_ongoing_requests
        return params

    def _is_authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken does not tell how much of a guess was right.
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token)

    def _headers(self, extra: Optional[dict] = None, infer_ms: float = 0.0, t0: Optional[float] = None) -> dict:
        h = {PID_HEADER: str(self.pid), INFER_MS_HEADER: f"{infer_ms:.3f}"}
        if self.replica_id:
            h[REPLICA_HEADER] = self.replica_id
        if t0 is not None:
            h[SERVER_MS_HEADER] = f"{(time.perf_counter() - t0) * 1000.0:.3f}"
        if extra:
            h.update(extra)
        return h

    def _json(self, status: int, obj: Any, t0: float) -> Response:
        return Response(
            json.dumps(obj, separators=(",", ":")),
            status_code=status,
            media_type="application/json",
            headers=self._headers(t0=t0),
        )

    async def __call__(self, request: Request) -> Response:
        t0 = time.perf_counter()
        path = request.url.path
        root = request.scope.get("root_path") or ""
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        method = request.method
        try:
            if path in HEALTH_PATHS:
                self._only(method, "GET")
                return self._json(200, {"live" if path.endswith("live") else "ready": True}, t0)
            if not self._is_authorized(request):
                response = self._json(401, {"error": "missing or invalid bearer token (Authorization: Bearer ...)"}, t0)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            if path in ("/v2", "/v2/"):
                self._only(method, "GET")
                return self._json(
                    200, {"name": "batch-infer-serve", "version": "1", "extensions": self.extensions}, t0
                )
            if path in ("/v2/models", "/v2/models/"):
                self._only(method, "GET")
                return self._json(200, {"models": list(self.models)}, t0)
            m = _PATH_RE.match(path)
            if not m:
                raise HTTPError(404, f"no route {method} {path}")
            name, version, action = m.group(1), m.group(2), m.group(3)
            model = self.models.get(name)
            if model is None or (version is not None and version != "1"):
                raise HTTPError(404, f"unknown model '{name}'" + (f" version '{version}'" if version else ""))
            if action is None:
                self._only(method, "GET")
                return self._json(200, model.metadata(await self._replica_params()), t0)
            if action == "/ready":
                self._only(method, "GET")
                return self._json(200, {"name": name, "ready": True}, t0)
            self._only(method, "POST")
            body = await request.body()
            hlen = request.headers.get(BINARY_HEADER)
            loop = asyncio.get_running_loop()
            status, headers, content, infer_ms = await loop.run_in_executor(self.pool, model.infer, body, hlen)
            return Response(content, status_code=status, headers=self._headers(headers, infer_ms, t0))
        except HTTPError as e:
            return self._json(e.status, {"error": e.message}, t0)
        except Exception as e:  # never leak a traceback page; keep the pid header
            logger.exception("request failed")
            return self._json(500, {"error": f"{type(e).__name__}: {e}"}, t0)

    @staticmethod
    def _only(method: str, allowed: str) -> None:
        if method != allowed:
            raise HTTPError(405, f"method {method} not allowed (use {allowed})")


def read_token(token_env: Optional[str]) -> Optional[bytes]:
    """The bearer token from the environment variable named token_env; None when no variable is named.

    A named variable that is unset or empty stops the replica: an app asked to need a token never starts open.
    """
    if not token_env:
        return None
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise RuntimeError(f"token_env names ${token_env}, which is unset or empty in this replica's environment")
    return token.encode()


def _arg(args: Dict[str, Any], key: str, default, conv):
    v = args.get(key)
    if v is None or v == "":
        return default
    return conv(v)


def build_app(args: Optional[Dict[str, Any]] = None):
    """Application builder for `serve run serve.app:build_app key=value ...` and config files."""
    args = dict(args or {})
    manifest = args.get("manifest") or os.environ.get(MANIFEST_ENV) or DEFAULT_MANIFEST
    models = read_manifest(str(manifest))
    opts: Dict[str, Any] = {
        "num_replicas": _arg(args, "replicas", 2, int),
        "max_ongoing_requests": _arg(args, "max_ongoing_requests", 4, int),
        "ray_actor_options": {"num_cpus": _arg(args, "num_cpus", 0.5, float)},
    }
    token_env = args.get("token_env") or None
    binary_tensor_data = _arg(args, "binary_tensor_data", True, _truthy)
    logger.info(
        "batch-infer serve: manifest %s, models %s, %s",
        manifest,
        ", ".join(models),
        f"bearer token from ${token_env}" if token_env else "no auth",
    )
    return OnnxModels.options(**opts).bind(models, token_env, binary_tensor_data)


app = build_app  # `serve run serve.app:app manifest=...` works as well
