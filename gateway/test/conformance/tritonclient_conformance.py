"""NVIDIA's own Python client (tritonclient) against a KServe v2 server, used exactly as a user would.

usage: tritonclient_conformance.py --http HOST:PORT --grpc HOST:PORT --input x.npy --out DIR
                                   [--model nanodet]

--input is an FP32 tensor with a batch dimension of at least 2 ([2, ...] is the intended shape).
Only the public API is used: no patching, no private attributes, no raw HTTP or protobuf.

The script records what the client saw and leaves judging to the caller (tritonclient.conformance.spec.ts):
every call is wrapped so that an exception becomes data ({"exception": {...}}) instead of ending the
run, and the exit status is 0 unless the script itself is broken. It writes
- DIR/<path>.<output>.npy  every output tensor, for path in
    http_binary   HTTP, binary tensor extension for the input and every output (batch 2)
    http_json     HTTP, JSON tensors for the input and every output (batch 2)
    grpc          gRPC unary ModelInfer, outputs named explicitly (batch 2)
    stream_0      gRPC stream, first request: the whole batch (outputs left to the server)
    stream_1      gRPC stream, second request: sample 1 alone
    stream_2      gRPC stream, third request: sample 0 alone
    stream_after_errors  gRPC stream, a good request (sample 0) after two failing ones
    http_gzip, http_deflate  HTTP with a compressed request body (sample 0, one output)
- DIR/summary.json  versions, readiness, metadata, per-path response headers and errors, and the
    statistics extension (get_inference_statistics over HTTP and gRPC) once every call above ran.
"""

import argparse
import functools
import hashlib
import importlib.metadata
import json
import os
import traceback

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

MISSING_MODEL = "missing-model"

# Calls that take no headers: the stream's credential goes with start_stream.
CALLS_WITHOUT_HEADERS = {"async_stream_infer", "stop_stream", "close"}


class WithHeaders:
    """A tritonclient client whose every call carries `headers` (tritonclient takes them per call):
    the gateway's API key, as `x-api-key`; gRPC sends them as metadata."""

    def __init__(self, client, headers):
        self._client = client
        self._headers = headers

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if self._headers is None or name in CALLS_WITHOUT_HEADERS or not callable(attr):
            return attr

        # A fresh dict per call: tritonclient's HTTP infer adds its own headers to the one it is given.
        @functools.wraps(attr)
        def call(*args, **kwargs):
            return attr(*args, headers=dict(self._headers), **kwargs)

        return call


def exception_record(error):
    record = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, InferenceServerException):
        status = error.status()
        record.update(
            status=None if status is None else str(status),
            message=error.message(),
            debug_details=None if error.debug_details() is None else str(error.debug_details()),
        )
    record["traceback"] = "".join(traceback.format_exception(error))
    return record


def attempt(call):
    """Runs one client call; returns {"ok": result} or {"exception": {...}}."""
    try:
        return {"ok": call()}
    except Exception as error:  # noqa: BLE001 - every failure is data for the caller
        return {"exception": exception_record(error)}


class Recorder:
    def __init__(self, out_dir):
        self.out_dir = out_dir

    def result(self, path, result, response):
        """Saves each output as <path>.<name>.npy; returns what the response said about them."""
        outputs = {}
        for output in response["outputs"]:
            name = output["name"]
            array = result.as_numpy(name)
            np.save(os.path.join(self.out_dir, f"{path}.{name}.npy"), np.ascontiguousarray(array))
            outputs[name] = {
                "datatype": output["datatype"],
                "shape": [int(d) for d in output["shape"]],
                "numpy_dtype": str(array.dtype),
                "binary_data_size": output.get("parameters", {}).get("binary_data_size"),
            }
        return {
            "id": response.get("id", ""),
            "model_name": response.get("model_name"),
            "model_version": response.get("model_version"),
            "output_order": [output["name"] for output in response["outputs"]],
            "outputs": outputs,
        }

    def http(self, path, result):
        return self.result(path, result, result.get_response())

    def grpc(self, path, result):
        return self.result(path, result, result.get_response(as_json=True))


def normalize_tensor_metadata(tensors):
    return [
        {"name": t["name"], "datatype": t["datatype"], "shape": [int(d) for d in t["shape"]]}
        for t in tensors
    ]


def normalize_model_metadata(metadata):
    return {
        "name": metadata["name"],
        "versions": list(metadata.get("versions", [])),
        "platform": metadata.get("platform"),
        "inputs": normalize_tensor_metadata(metadata["inputs"]),
        "outputs": normalize_tensor_metadata(metadata["outputs"]),
    }


def normalize_model_config(config):
    """The fields a client relies on, whether JSON gave 64-bit integers as numbers or strings."""
    config = config.get("config", config)
    return {
        "name": config["name"],
        "platform": config.get("platform"),
        "max_batch_size": int(config.get("max_batch_size", 0)),
        "input": [
            {"name": i["name"], "data_type": i["data_type"], "dims": [int(d) for d in i["dims"]]}
            for i in config["input"]
        ],
        "output": [o["name"] for o in config["output"]],
        "preferred_batch_size": [
            int(b) for b in config.get("dynamic_batching", {}).get("preferred_batch_size", [])
        ],
    }


def http_input(x, binary_data, datatype="FP32"):
    tensor = httpclient.InferInput("images", list(x.shape), datatype)
    tensor.set_data_from_numpy(x, binary_data=binary_data)
    return tensor


def grpc_input(x, datatype="FP32"):
    tensor = grpcclient.InferInput("images", list(x.shape), datatype)
    tensor.set_data_from_numpy(x)
    return tensor


def error_cases(x, make_input):
    """(name, model, inputs) triples every protocol must reject with a clear error."""
    wrong_shape = np.zeros((x.shape[0], x.shape[1], 32, 32), dtype=np.float32)
    return [
        ("unknown_model", MISSING_MODEL, [make_input(x[:1])]),
        ("wrong_shape", None, [make_input(wrong_shape)]),
        ("wrong_datatype", None, [make_input(x[:1].astype(np.float16), "FP16")]),
    ]


def run_http(url, model, x, recorder, headers=None):
    client = WithHeaders(httpclient.InferenceServerClient(url=url), headers)
    output_names = []
    summary = {
        "live": attempt(client.is_server_live),
        "ready": attempt(client.is_server_ready),
        "server_metadata": attempt(client.get_server_metadata),
        "model_ready": attempt(lambda: client.is_model_ready(model)),
        "model_ready_v1": attempt(lambda: client.is_model_ready(model, "1")),
        "unknown_model_ready": attempt(lambda: client.is_model_ready(MISSING_MODEL)),
        "model_metadata": attempt(lambda: normalize_model_metadata(client.get_model_metadata(model))),
        "model_metadata_v1": attempt(
            lambda: normalize_model_metadata(client.get_model_metadata(model, "1"))
        ),
        "model_config": attempt(lambda: normalize_model_config(client.get_model_config(model))),
    }
    if "ok" in summary["model_metadata"]:
        output_names = [o["name"] for o in summary["model_metadata"]["ok"]["outputs"]]

    def infer(path, binary_data, request_id):
        outputs = [httpclient.InferRequestedOutput(n, binary_data=binary_data) for n in output_names]
        result = client.infer(
            model, [http_input(x, binary_data)], outputs=outputs, request_id=request_id
        )
        return recorder.http(path, result)

    summary["infer"] = {
        "http_binary": attempt(lambda: infer("http_binary", True, "http-binary-1")),
        "http_json": attempt(lambda: infer("http_json", False, "http-json-1")),
    }

    def compressed(path, algorithm):
        result = client.infer(
            model,
            [http_input(x[:1], True)],
            outputs=[httpclient.InferRequestedOutput(output_names[-1], binary_data=True)],
            request_id=path,
            request_compression_algorithm=algorithm,
        )
        return recorder.http(path, result)

    # Triton decompresses Content-Encoding: gzip / deflate request bodies; a user turns it on with one flag.
    summary["compressed_request"] = {
        "http_gzip": attempt(lambda: compressed("http_gzip", "gzip")),
        "http_deflate": attempt(lambda: compressed("http_deflate", "deflate")),
    }
    summary["errors"] = {
        name: attempt(lambda m=bad_model, i=inputs: client.infer(m or model, i))
        for name, bad_model, inputs in error_cases(x, lambda t, d="FP32": http_input(t, True, d))
    }
    client.close()
    return summary


def run_grpc(url, model, x, recorder, headers=None):
    client = WithHeaders(grpcclient.InferenceServerClient(url=url), headers)
    output_names = []

    def model_metadata(version=""):
        return normalize_model_metadata(client.get_model_metadata(model, version, as_json=True))

    summary = {
        "live": attempt(client.is_server_live),
        "ready": attempt(client.is_server_ready),
        "server_metadata": attempt(lambda: client.get_server_metadata(as_json=True)),
        "model_ready": attempt(lambda: client.is_model_ready(model)),
        "model_ready_v1": attempt(lambda: client.is_model_ready(model, "1")),
        "unknown_model_ready": attempt(lambda: client.is_model_ready(MISSING_MODEL)),
        "model_metadata": attempt(model_metadata),
        "model_metadata_v1": attempt(lambda: model_metadata("1")),
        "model_config": attempt(
            lambda: normalize_model_config(client.get_model_config(model, as_json=True))
        ),
    }
    if "ok" in summary["model_metadata"]:
        output_names = [o["name"] for o in summary["model_metadata"]["ok"]["outputs"]]

    def unary():
        outputs = [grpcclient.InferRequestedOutput(n) for n in output_names]
        result = client.infer(model, [grpc_input(x)], outputs=outputs, request_id="grpc-1")
        return recorder.grpc("grpc", result)

    summary["infer"] = {"grpc": attempt(unary)}
    summary["errors"] = {
        name: attempt(lambda m=bad_model, i=inputs: client.infer(m or model, i))
        for name, bad_model, inputs in error_cases(x, grpc_input)
    }

    def stream(requests):
        """One stream session: sends every (model, inputs, request_id), returns callbacks in order."""
        callbacks = []

        def on_response(result, error):
            callbacks.append((result, error))

        client.start_stream(callback=on_response)
        try:
            for stream_model, inputs, request_id in requests:
                client.async_stream_infer(stream_model, inputs, request_id=request_id)
        finally:
            client.stop_stream()  # closes the request side and waits for every response
        return callbacks

    def describe(callbacks, paths):
        described = []
        for (result, error), path in zip(callbacks, paths):
            if error is not None:
                described.append({"error": exception_record(error)})
            else:
                described.append({"response": recorder.grpc(path, result)})
        return {"callbacks": len(callbacks), "in_order": described}

    good_requests = [
        (model, [grpc_input(x)], "stream-0"),
        (model, [grpc_input(x[1:2])], "stream-1"),
        (model, [grpc_input(x[0:1])], "stream-2"),
    ]
    summary["stream"] = attempt(
        lambda: describe(stream(good_requests), ["stream_0", "stream_1", "stream_2"])
    )
    wrong_shape = np.zeros((1, x.shape[1], 32, 32), dtype=np.float32)
    error_requests = [
        (MISSING_MODEL, [grpc_input(x[0:1])], "stream-unknown-model"),
        (model, [grpc_input(wrong_shape)], "stream-wrong-shape"),
        (model, [grpc_input(x[0:1])], "stream-after-errors"),
    ]
    summary["stream_errors"] = attempt(
        lambda: describe(stream(error_requests), [None, None, "stream_after_errors"])
    )
    client.close()
    return summary


STAT_KEYS = (
    "success",
    "fail",
    "queue",
    "compute_input",
    "compute_infer",
    "compute_output",
    "cache_hit",
    "cache_miss",
)


def normalize_duration(stat):
    """gRPC's JSON gives uint64 as strings and leaves zeros out; HTTP gives numbers."""
    stat = stat or {}
    return {"count": int(stat.get("count", 0)), "ns": int(stat.get("ns", 0))}


def normalize_statistics(response):
    return [
        {
            "name": stat["name"],
            "version": stat.get("version", ""),
            "last_inference": int(stat.get("last_inference", 0)),
            "inference_count": int(stat.get("inference_count", 0)),
            "execution_count": int(stat.get("execution_count", 0)),
            "inference_stats": {
                key: normalize_duration(stat.get("inference_stats", {}).get(key))
                for key in STAT_KEYS
            },
            "batch_stats": [
                {
                    "batch_size": int(batch["batch_size"]),
                    **{
                        key: normalize_duration(batch.get(key))
                        for key in ("compute_input", "compute_infer", "compute_output")
                    },
                }
                for batch in stat.get("batch_stats", [])
            ],
        }
        for stat in response.get("model_stats", [])
    ]


def run_statistics(http_url, grpc_url, model, headers=None):
    """The statistics extension through both clients, after every inference call was answered."""
    http = WithHeaders(httpclient.InferenceServerClient(url=http_url), headers)
    grpc = WithHeaders(grpcclient.InferenceServerClient(url=grpc_url), headers)
    summary = {
        "http": attempt(lambda: normalize_statistics(http.get_inference_statistics(model))),
        "http_v1": attempt(lambda: normalize_statistics(http.get_inference_statistics(model, "1"))),
        "http_all": attempt(lambda: normalize_statistics(http.get_inference_statistics())),
        "http_unknown_model": attempt(lambda: http.get_inference_statistics(MISSING_MODEL)),
        "grpc": attempt(
            lambda: normalize_statistics(grpc.get_inference_statistics(model, as_json=True))
        ),
        "grpc_all": attempt(
            lambda: normalize_statistics(grpc.get_inference_statistics(as_json=True))
        ),
        "grpc_unknown_model": attempt(
            lambda: grpc.get_inference_statistics(MISSING_MODEL, as_json=True)
        ),
    }
    http.close()
    grpc.close()
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--http", required=True, help="HOST:PORT of the KServe v2 REST endpoint")
    parser.add_argument("--grpc", required=True, help="HOST:PORT of the KServe v2 gRPC endpoint")
    parser.add_argument("--input", required=True, help=".npy FP32 input with batch >= 2")
    parser.add_argument("--out", required=True, help="directory for the .npy outputs and summary.json")
    parser.add_argument("--model", default="nanodet")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("GATEWAY_API_KEY"),
        help="API key sent as x-api-key on every call (default: $GATEWAY_API_KEY; none for Triton)",
    )
    args = parser.parse_args()

    x = np.load(args.input)
    if x.dtype != np.float32 or x.ndim < 2 or x.shape[0] < 2:
        parser.error(f"--input must be FP32 with batch >= 2, got {x.dtype} {x.shape}")
    os.makedirs(args.out, exist_ok=True)
    headers = {"x-api-key": args.api_key} if args.api_key else None
    recorder = Recorder(args.out)
    summary = {
        "versions": {
            package: importlib.metadata.version(package)
            for package in ("tritonclient", "grpcio", "protobuf", "geventhttpclient", "numpy")
        },
        "input_shape": list(x.shape),
        "input_sha256": hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest(),
        "http": run_http(args.http, args.model, x, recorder, headers),
        "grpc": run_grpc(args.grpc, args.model, x, recorder, headers),
    }
    summary["statistics"] = run_statistics(args.http, args.grpc, args.model, headers)
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
