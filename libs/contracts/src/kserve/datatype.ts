/**
 * KServe v2 tensor datatypes, with their element sizes and the Triton model-config spelling.
 * BYTES has no fixed element size (each element is a 4-byte length prefix plus its bytes).
 */
export const KSERVE_DATATYPES = {
  BOOL: { bytes: 1, config: 'TYPE_BOOL' },
  UINT8: { bytes: 1, config: 'TYPE_UINT8' },
  UINT16: { bytes: 2, config: 'TYPE_UINT16' },
  UINT32: { bytes: 4, config: 'TYPE_UINT32' },
  UINT64: { bytes: 8, config: 'TYPE_UINT64' },
  INT8: { bytes: 1, config: 'TYPE_INT8' },
  INT16: { bytes: 2, config: 'TYPE_INT16' },
  INT32: { bytes: 4, config: 'TYPE_INT32' },
  INT64: { bytes: 8, config: 'TYPE_INT64' },
  FP16: { bytes: 2, config: 'TYPE_FP16' },
  FP32: { bytes: 4, config: 'TYPE_FP32' },
  FP64: { bytes: 8, config: 'TYPE_FP64' },
  BF16: { bytes: 2, config: 'TYPE_BF16' },
  BYTES: { bytes: 0, config: 'TYPE_STRING' },
} as const;

export type KServeDatatype = keyof typeof KSERVE_DATATYPES;

export function isKServeDatatype(value: string): value is KServeDatatype {
  return Object.prototype.hasOwnProperty.call(KSERVE_DATATYPES, value);
}

/** Maps a model-config type name (`TYPE_FP32`) to its KServe datatype (`FP32`), or undefined. */
export function datatypeFromConfigType(configType: string): KServeDatatype | undefined {
  for (const [datatype, info] of Object.entries(KSERVE_DATATYPES)) {
    if (info.config === configType) return datatype as KServeDatatype;
  }
  return undefined;
}
