# Image of the batch-infer Ray Serve app (serve/app.py) for KubeRay: Python 3.11, the pinned requirements, serve/ and
# the fixture models. Build from the repository root:
#   docker build -f deploy/serve.Dockerfile -t registry.example.com/batch-infer-serve:0.1.0 .
# Every Ray pod (head and workers) runs this image: the replicas import serve.app from /app, and the head reads the
# manifest and the .onnx files at deploy time. Bring your own models by copying another manifest directory over
# /app/fixtures/models (or mount one and set the app's manifest arg).
FROM python:3.11-slim-bookworm

# wget: KubeRay's default liveness and readiness probes run it inside the Ray containers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends wget=1.21.* \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY serve/requirements.txt serve/requirements.lock serve/
RUN pip install --no-cache-dir -r serve/requirements.txt -c serve/requirements.lock \
 && python -c 'import ray, ray.serve, onnxruntime, numpy, starlette, yaml'

COPY serve/ serve/
COPY fixtures/models/manifest.json fixtures/models/*.onnx fixtures/models/

# KubeRay's default user in Ray images; Ray writes its session files under /tmp/ray.
RUN useradd --create-home --uid 1000 ray
USER 1000
ENV PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    RAY_USAGE_STATS_ENABLED=0
EXPOSE 8000 6379 8265 10001
