import { fromText } from '@bufbuild/protobuf/txtpb';
import {
  type ModelConfig,
  ModelConfigSchema,
} from '@contracts/generated/inference/model_config_pb';
import { ModelConfigError } from './model-config-error';

/**
 * Parses `config.pbtxt` with protobuf-es's text-format parser against Triton's own schema, so
 * unknown fields, unknown enum values and repeated singular fields are rejected as Triton rejects
 * them. Throws a ModelConfigError naming `source` and, for syntax errors, the line and column.
 */
export function parseModelConfig(text: string, source: string): ModelConfig {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return fromText(ModelConfigSchema, body);
  } catch (error) {
    const detail = errorMessage(error);
    const { line, column } = lineAndColumn(body, locateFailure(body, detail));
    throw new ModelConfigError(source, detail, line, column);
  }
}

/**
 * protobuf-es reports what is wrong but not where. The parser reads left to right and stops at the
 * first bad token, so the shortest prefix of the text that fails with the same message ends at that
 * token (or at the one token it looked ahead to); a binary search finds it. Returns the offset of
 * the start of that token.
 */
export function locateFailure(text: string, detail: string): number {
  if (detail.startsWith('unexpected end of input')) return text.trimEnd().length;
  const failsTheSameWay = (length: number): boolean => {
    try {
      fromText(ModelConfigSchema, text.slice(0, length));
      return false;
    } catch (error) {
      return errorMessage(error) === detail;
    }
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsTheSameWay(middle)) high = middle;
    else low = middle + 1;
  }
  return tokenStart(text, high);
}

/** The offset where the token that ends just before `end` begins. */
function tokenStart(text: string, end: number): number {
  let index = end - 1;
  while (index > 0 && /\s/.test(text[index])) index--;
  const last = text[index];
  if (last === '"' || last === "'") {
    for (let open = index - 1; open >= 0; open--) {
      if (text[open] === last && text[open - 1] !== '\\') return open;
    }
    return index;
  }
  if (!/[\w.+-]/.test(last ?? '')) return Math.max(index, 0);
  while (index > 0 && /[\w.+-]/.test(text[index - 1])) index--;
  return index;
}

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
