"""Writes a tiny ONNX model (y = x, FP32 [batch, 4]) for the rollout interop spec's routing checks.

Routing is measured over thousands of calls: a model that costs microseconds keeps that measure
about the gateway, not about NanoDet's CPU time. Usage: build-echo-model.py OUT.onnx
"""
import sys

import onnx
from onnx import TensorProto, helper

graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["y"])],
    "echo",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
