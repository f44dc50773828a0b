"""Prints the batch-infer application's replicas as JSON lines, once or every --interval seconds.

    python serve/replica-states.py --address 127.0.0.1:PORT [--node-ip IP] [--interval 1] [--duration 120]

One line per poll: {"t": seconds since start, "status": application status, "target": target replica count,
"states": {state: count}, "nodes": {node ip: RUNNING replicas there}}. It reads what `serve status` shows
(the controller's details), plus the node of each replica. Ray's token auth variables (RAY_AUTH_MODE,
RAY_AUTH_TOKEN_PATH) and RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER are taken from the environment. Exit 1 when Ray cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter

APP = "batch-infer"
DEPLOYMENT = "OnnxModels"


def read_replicas(client) -> dict:
    from ray.serve.schema import ServeInstanceDetails

    details = ServeInstanceDetails(**client.get_serve_details())
    app = details.applications.get(APP)
    if app is None:
        return {"status": "NOT_DEPLOYED", "target": 0, "states": {}, "nodes": {}}
    deployment = app.deployments[DEPLOYMENT]
    replicas = deployment.replicas
    return {
        "status": str(app.status.value if hasattr(app.status, "value") else app.status),
        "target": deployment.target_num_replicas,
        "states": dict(Counter(str(r.state.value if hasattr(r.state, "value") else r.state) for r in replicas)),
        "nodes": dict(Counter(r.node_ip for r in replicas if str(r.state).endswith("RUNNING"))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--address", required=True, help="Ray GCS address, host:port")
    parser.add_argument("--node-ip", help="this machine's Ray node address, when not the loopback default")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between polls; 0 = poll once")
    parser.add_argument("--duration", type=float, default=600.0, help="stop polling after this many seconds")
    args = parser.parse_args()

    logging.disable(logging.WARNING)
    import ray
    from ray.serve.context import _get_global_client

    try:
        ray.init(address=args.address, _node_ip_address=args.node_ip, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as e:
        print(f"replica-states: cannot reach Ray at {args.address}: {e}", file=sys.stderr)
        return 1
    client = _get_global_client()
    start = time.monotonic()
    while True:
        line = {"t": round(time.monotonic() - start, 1), **read_replicas(client)}
        print(json.dumps(line, separators=(",", ":")), flush=True)
        if args.interval <= 0 or time.monotonic() - start >= args.duration:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
