"""The embedder's forward pass in plain numpy (float64), straight from the checkpoint's tensors.

A torch-free reference for CI: it follows the torch module's definition
(conv -> batch norm in eval mode -> ReLU6, residual adds, mean over H and W),
not the ONNX graph, so a wrong attribute or wiring in the graph shows up as a
difference. Float64 keeps its own rounding far below the float32 model's.
"""
import numpy as np

from mobilenetv2_layout import BN_EPSILON, IMAGENET_MEAN, IMAGENET_STD, layout


def _conv(x, weight, stride, pad, groups):
    n, channels, height, width = x.shape
    out_channels, _, k, _ = weight.shape
    if k == 1:
        return np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], x[:, :, ::stride, ::stride], optimize=True)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h = (height + 2 * pad - k) // stride + 1
    out_w = (width + 2 * pad - k) // stride + 1
    y = np.zeros((n, out_channels, out_h, out_w))
    for i in range(k):
        for j in range(k):
            window = padded[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride]
            if groups == channels == out_channels:  # depthwise: one filter per channel
                y += weight[None, :, 0, i, j, None, None] * window
            elif groups == 1:
                y += np.einsum("oc,nchw->nohw", weight[:, :, i, j], window, optimize=True)
            else:
                raise ValueError(f"grouped conv with {groups} groups is not part of this network")
    return y


def _batch_norm(x, state, prefix):
    scale = state[prefix + ".weight"].astype(np.float64) / np.sqrt(
        state[prefix + ".running_var"].astype(np.float64) + BN_EPSILON
    )
    shift = state[prefix + ".bias"] - state[prefix + ".running_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


def embed(state, images):
    """images: [N, 3, H, W] RGB in [0, 1] -> [N, 1280] unit-length float64 embeddings."""
    x = np.asarray(images, np.float64)
    x = (x - np.array(IMAGENET_MEAN)[None, :, None, None]) / np.array(IMAGENET_STD)[None, :, None, None]
    for block in layout(state):
        block_input = x
        for layer in block.layers:
            weight = state[layer.conv + ".weight"].astype(np.float64)
            x = _batch_norm(_conv(x, weight, layer.stride, layer.pad, layer.groups), state, layer.bn)
            if layer.relu6:
                x = np.clip(x, 0.0, 6.0)
        if block.residual:
            x = block_input + x
    feature = x.mean(axis=(2, 3))
    return feature / np.maximum(np.linalg.norm(feature, axis=1, keepdims=True), 1e-12)
