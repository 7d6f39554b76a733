import type { KServeDatatype } from '@contracts/kserve/datatype';
import { datatypeOfOnnxType, onnxTypeOfDatatype } from '@model-repository';
import type { Tensor } from 'onnxruntime-node';

// One map for the gateway and the control plane's registration checks: libs/model-repository.

/** KServe datatype → ONNX Runtime tensor type; undefined for BF16. */
export function ortTypeOf(datatype: KServeDatatype): Tensor.Type | undefined {
  return onnxTypeOfDatatype(datatype) as Tensor.Type | undefined;
}

export function datatypeOfOrtType(type: Tensor.Type): KServeDatatype | undefined {
  return datatypeOfOnnxType(type);
}
