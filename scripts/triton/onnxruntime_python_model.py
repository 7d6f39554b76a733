"""Triton Python-backend model that runs an ONNX file with ONNX Runtime (CPU).

Test tooling only: generate-python-backend-repository.py copies this file as
<model>/<version>/model.py for every `onnxruntime_onnx` model of a production repository, so that
the `tritonserver` bundled in nvidia-pytriton (which ships the Python backend, not the ONNX Runtime
one) serves the same model under the same name, inputs, outputs and batching. Nothing here is
specific to one model: tensor names and datatypes come from the model configuration Triton hands
over.

It also serves as the Python-based backend named `onnxruntime` (start-triton.sh --in-place:
backends/onnxruntime/model.py), so that Triton loads a production repository as it is: the
`onnxruntime_onnx` models then need no parameters and their ONNX file is read where Triton's own
ONNX Runtime backend would read it.

Parameters read from config.pbtxt:
  onnx_path         absolute path of the ONNX file; "{version}" is replaced by the version served
                    (default <model dir>/{version}/<default_model_filename or model.onnx>)
  intra_op_threads  ONNX Runtime intra-op threads (inter-op is always 1: one graph runs at a time)
"""

import json
import os

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


def _parameter(config, key, default=None):
    entry = config.get("parameters", {}).get(key)
    return default if entry is None else entry["string_value"]


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.batching = int(config.get("max_batch_size", 0)) > 0
        self.inputs = [tensor["name"] for tensor in config["input"]]
        self.outputs = {
            tensor["name"]: pb_utils.triton_string_to_numpy(tensor["data_type"])
            for tensor in config["output"]
        }
        # Triton hands a Python-based backend the model's own folder as model_repository.
        onnx_path = _parameter(config, "onnx_path") or os.path.join(
            args["model_repository"],
            "{version}",
            config.get("default_model_filename") or "model.onnx",
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(_parameter(config, "intra_op_threads", "1"))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # The same level as the gateway's embedded backend and the tests' reference ('all').
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            onnx_path.replace("{version}", args["model_version"]),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )

    def execute(self, requests):
        """One ONNX Runtime run for all the dynamic batcher handed over, split back per request."""
        try:
            feeds = [
                {
                    name: pb_utils.get_input_tensor_by_name(request, name).as_numpy()
                    for name in self.inputs
                }
                for request in requests
            ]
            if self.batching:
                results = self._run_batched(feeds)
            else:
                results = [self._run(feed) for feed in feeds]
        except Exception as error:  # noqa: BLE001 - every request gets the error, the model stays up
            failure = pb_utils.TritonError(f"ONNX Runtime failed: {error}")
            return [pb_utils.InferenceResponse(output_tensors=[], error=failure) for _ in requests]
        return [
            self._response(request, result)
            for request, result in zip(requests, results, strict=True)
        ]

    def _run(self, feed):
        return dict(zip(self.outputs, self.session.run(list(self.outputs), feed), strict=True))

    def _run_batched(self, feeds):
        if len(feeds) == 1:
            return [self._run(feeds[0])]
        sizes = [next(iter(feed.values())).shape[0] for feed in feeds]
        merged = self._run(
            {name: np.concatenate([feed[name] for feed in feeds]) for name in self.inputs}
        )
        ends = np.cumsum(sizes)
        return [
            {name: value[end - size : end] for name, value in merged.items()}
            for size, end in zip(sizes, ends, strict=True)
        ]

    def _response(self, request, result):
        requested = request.requested_output_names() or list(self.outputs)
        tensors = [
            pb_utils.Tensor(name, np.ascontiguousarray(result[name], dtype=self.outputs[name]))
            for name in self.outputs
            if name in requested
        ]
        return pb_utils.InferenceResponse(output_tensors=tensors)

    def finalize(self):
        self.session = None
