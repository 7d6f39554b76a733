import type { KServeDatatype } from '@contracts/kserve/datatype';
import type { Tensor } from 'onnxruntime-node';

/** KServe datatype → ONNX Runtime tensor type. BF16 has no ONNX Runtime JS type. */
const ORT_TYPES: Partial<Record<KServeDatatype, Tensor.Type>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

export function ortTypeOf(datatype: KServeDatatype): Tensor.Type | undefined {
  return ORT_TYPES[datatype];
}

export function datatypeOfOrtType(type: Tensor.Type): KServeDatatype | undefined {
  for (const [datatype, ortType] of Object.entries(ORT_TYPES)) {
    if (ortType === type) return datatype as KServeDatatype;
  }
  return undefined;
}
