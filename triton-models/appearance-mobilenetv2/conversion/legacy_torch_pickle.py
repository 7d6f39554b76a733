"""Read a PyTorch state dict saved in the legacy (pre-1.6, non-zip) format, without torch.

Why: the CI check of the committed ONNX must compare its weights with the bundled
checkpoint on machines without torch (a 3 GB install). The legacy file is five
pickles back to back, then the raw storages:

    magic number | protocol version | sys info | the object | storage keys
    then, per key in that order: int64 element count, count * itemsize bytes

Inside the object, tensors are `torch._utils._rebuild_tensor_v2(storage,
offset, size, stride, ...)` calls and storages are persistent ids
("storage", <type>, key, location, size, view). Only those few globals are
allowed: anything else in the file is refused rather than executed.
"""
import collections
import pickle
import struct

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _Storage:
    def __init__(self, key, dtype, size):
        self.key = key
        self.dtype = dtype
        self.size = size
        self.data = None  # filled once the storages after the pickles are read


class _TensorRef:
    """A tensor whose storage bytes come later in the file."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)

    def materialise(self):
        flat = self.storage.data
        if flat is None:
            raise ValueError(f"storage {self.storage.key} was never read")
        if not self.size:
            return flat[self.offset].copy()
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
            writeable=False,
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return _TensorRef(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in a weights file")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, size, view = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        if view is not None:
            raise pickle.UnpicklingError(f"storage views are not supported ({key})")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, storage_type.dtype, size)
        return storage


def load_state_dict(path):
    """The checkpoint's OrderedDict of name -> numpy array (bit-exact copies)."""
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise ValueError(f"{path}: not a legacy torch file (zip checkpoints need torch.load)")
        if pickle.load(f) != LEGACY_PROTOCOL:
            raise ValueError(f"{path}: unsupported legacy protocol")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", False):
            raise ValueError(f"{path}: big-endian checkpoints are not supported")
        unpickler = _Unpickler(f)
        obj = unpickler.load()
        keys = pickle.load(f)
        for key in keys:
            storage = unpickler.storages[key]
            (count,) = struct.unpack("<q", f.read(8))
            nbytes = count * storage.dtype.itemsize
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise ValueError(f"{path}: storage {key} truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
        if f.read(1):
            raise ValueError(f"{path}: unexpected bytes after the last storage")
    if not isinstance(obj, collections.OrderedDict):
        raise ValueError(f"{path}: expected a state dict, got {type(obj).__name__}")
    return collections.OrderedDict((name, ref.materialise()) for name, ref in obj.items())
