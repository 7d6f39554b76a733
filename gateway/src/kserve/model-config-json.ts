import {
  toJson,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
} from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import {
  ModelConfigSchema,
  type ModelConfig,
} from '@contracts/generated/inference/model_config_pb';

const INT64_TYPES = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

/**
 * The model configuration as Triton's REST API returns it: proto field names, every field present,
 * enums by name, and 64-bit integers as JSON numbers (Triton converts them back from the strings
 * the protobuf JSON mapping uses, and clients such as perf_analyzer read numbers).
 */
export function modelConfigToJson(config: ModelConfig): JsonObject {
  const json = toJson(ModelConfigSchema, config, {
    useProtoFieldName: true,
    alwaysEmitImplicit: true,
  });
  return int64AsNumbers(ModelConfigSchema, json) as JsonObject;
}

function int64AsNumbers(schema: DescMessage, json: JsonValue): JsonValue {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((candidate) => candidate.name === key);
    out[key] = field ? convertField(field, value) : value;
  }
  return out;
}

function convertField(field: DescField, value: JsonValue): JsonValue {
  const convertOne = (item: JsonValue): JsonValue => {
    if (field.message) return int64AsNumbers(field.message, item);
    if (field.scalar !== undefined && INT64_TYPES.has(field.scalar) && typeof item === 'string')
      return Number(item);
    return item;
  };
  if (field.fieldKind === 'list' && Array.isArray(value)) return value.map(convertOne);
  if (
    field.fieldKind === 'map' &&
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value)
  ) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convertOne(item)]));
  }
  return convertOne(value);
}
