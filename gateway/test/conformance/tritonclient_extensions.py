"""NVIDIA's tritonclient calling the Triton extensions beyond plain inference, as a user would.

usage: tritonclient_extensions.py --http HOST:PORT --grpc HOST:PORT --input x.npy --out summary.json
                                  [--model nanodet] [--output cls_s32] [--class-count 3]

Records, without judging (tritonclient-extensions.conformance.spec.ts judges):
- classification: InferRequestedOutput(output, class_count=N) over HTTP (binary and JSON outputs)
  and gRPC, each answer's datatype, shape and strings;
- unimplemented: the shared-memory, trace and log-settings calls, each as {ok} or {exception}.
Also runs against a real Triton (no --api-key), so both servers' answers can be compared.
"""

import argparse
import json
import os

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from google.protobuf.json_format import MessageToDict

from tritonclient_conformance import WithHeaders, attempt


def classes(result, name, response):
    """What the classification extension answered for `name`: datatype, shape, the strings."""
    output = next(o for o in response["outputs"] if o["name"] == name)

    def as_text(value):
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    return {
        "datatype": output["datatype"],
        "shape": [int(d) for d in output["shape"]],
        "values": [as_text(s) for s in np.asarray(result.as_numpy(name)).reshape(-1).tolist()],
    }


def jsonable(value):
    """A gRPC answer (a protobuf message, from a server that implements the call) as JSON data."""
    return MessageToDict(value) if hasattr(value, "DESCRIPTOR") else value


def unimplemented(client):
    def call(name, *args):
        return attempt(lambda: jsonable(getattr(client, name)(*args)))

    return {
        "system_shared_memory_status": call("get_system_shared_memory_status"),
        "register_system_shared_memory": call(
            "register_system_shared_memory", "region0", "/region0", 64
        ),
        "cuda_shared_memory_status": call("get_cuda_shared_memory_status"),
        "trace_settings": call("get_trace_settings"),
        "log_settings": call("get_log_settings"),
    }


def run_http(url, model, x, output_name, count, headers):
    client = WithHeaders(httpclient.InferenceServerClient(url=url), headers)

    def classify(binary_data):
        tensor = httpclient.InferInput("images", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=True)
        output = httpclient.InferRequestedOutput(
            output_name, binary_data=binary_data, class_count=count
        )
        result = client.infer(model, [tensor], outputs=[output])
        return classes(result, output_name, result.get_response())

    summary = {
        "classification": {
            "binary": attempt(lambda: classify(True)),
            "json": attempt(lambda: classify(False)),
        },
        "unimplemented": unimplemented(client),
    }
    client.close()
    return summary


def run_grpc(url, model, x, output_name, count, headers):
    client = WithHeaders(grpcclient.InferenceServerClient(url=url), headers)

    def classify():
        tensor = grpcclient.InferInput("images", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        output = grpcclient.InferRequestedOutput(output_name, class_count=count)
        result = client.infer(model, [tensor], outputs=[output])
        return classes(result, output_name, result.get_response(as_json=True))

    summary = {"classification": {"grpc": attempt(classify)}, "unimplemented": unimplemented(client)}
    client.close()
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--http", required=True)
    parser.add_argument("--grpc", required=True)
    parser.add_argument("--input", required=True, help=".npy FP32 input with a batch dimension")
    parser.add_argument("--out", required=True, help="the summary JSON file to write")
    parser.add_argument("--model", default="nanodet")
    parser.add_argument("--output", default="cls_s32")
    parser.add_argument("--class-count", type=int, default=3)
    parser.add_argument("--api-key", default=os.environ.get("GATEWAY_API_KEY"))
    args = parser.parse_args()
    x = np.load(args.input)
    headers = {"x-api-key": args.api_key} if args.api_key else None
    summary = {
        "http": run_http(args.http, args.model, x, args.output, args.class_count, headers),
        "grpc": run_grpc(args.grpc, args.model, x, args.output, args.class_count, headers),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
