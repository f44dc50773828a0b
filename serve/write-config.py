"""Writes a copy of serve/serve-config.yaml for start-local.sh and start-cluster.sh.

    python serve/write-config.py SRC DST --port P --replicas auto|N --cpus C [--replica-cpus R] [--fill]
        [--manifest PATH] [--token-env NAME] [--binary 0|1]

HTTP on 127.0.0.1:P. --replicas auto keeps SRC's autoscaling_config; a number replaces it with that fixed count.
Each replica takes R CPUs (SRC's num_cpus by default), lowered so that every replica (autoscaling: max_replicas)
fits in C CPUs; --fill gives each exactly C / replicas, so that equal nodes get equal shares.
"""

from __future__ import annotations

import argparse

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--replicas", required=True)
    parser.add_argument("--cpus", type=float, required=True, help="Ray CPUs the replicas share")
    parser.add_argument("--replica-cpus", type=float)
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--manifest")
    parser.add_argument("--token-env")
    parser.add_argument("--binary", choices=("0", "1"), default="1")
    args = parser.parse_args()

    with open(args.src) as f:
        cfg = yaml.safe_load(f)
    cfg["http_options"]["host"] = "127.0.0.1"
    cfg["http_options"]["port"] = args.port
    app = cfg["applications"][0]
    app_args = app.setdefault("args", {})
    if args.manifest:
        app_args["manifest"] = args.manifest
    if args.token_env:
        app_args["token_env"] = args.token_env
    if args.binary == "0":
        app_args["binary_tensor_data"] = False
    for d in app["deployments"]:
        if args.replicas != "auto":
            d.pop("autoscaling_config", None)
            d["num_replicas"] = int(args.replicas)
        most = int(args.replicas) if args.replicas != "auto" else int(d["autoscaling_config"]["max_replicas"])
        actor = d.setdefault("ray_actor_options", {})
        wanted = args.replica_cpus if args.replica_cpus is not None else float(actor.get("num_cpus", 0.5))
        fair = round(args.cpus / most, 4)
        actor["num_cpus"] = fair if args.fill else min(wanted, fair)
    with open(args.dst, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)


if __name__ == "__main__":
    main()
