"""Talks to `batch-infer serve` with the official tritonclient (HTTP): readiness, metadata, and one inference
of the autoencoder with binary and with JSON tensors. Prints one JSON object for the Node test to check.
Usage: infer.py HOST:PORT"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient

url = sys.argv[1]
client = httpclient.InferenceServerClient(url=url)
metadata = client.get_model_metadata("autoencoder")
rows = np.arange(3 * 14, dtype=np.float32).reshape(3, 14) / 10.0
answers = {}
for binary in (True, False):
    tensor = httpclient.InferInput("metrics", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    wanted = httpclient.InferRequestedOutput("reconstruction_error", binary_data=binary)
    result = client.infer("autoencoder", [tensor], outputs=[wanted])
    answers["binary" if binary else "json"] = result.as_numpy("reconstruction_error").tolist()
print(json.dumps({
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "modelReady": client.is_model_ready("autoencoder"),
    "inputs": metadata["inputs"],
    "answers": answers,
}))
