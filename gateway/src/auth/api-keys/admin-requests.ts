import { z } from 'zod';
import { invalidArgument } from '../../errors/gateway-error';
import { quoted, truncated } from '../../errors/quoted-value';
import { isScope } from '@auth';
import type { NewApiKey } from './api-key-service';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** POST /admin/api-keys body; also the OpenAPI document's schema of it. */
export const newKeySchema = z
  .object({
    tenant: z
      .string({ message: 'is required (a string)' })
      .regex(
        TENANT,
        'must be 1-64 characters: letters, digits, _ . : - (starting with a letter or digit)',
      ),
    scopes: z
      .array(
        z.string().refine(isScope, {
          message:
            'is not a scope: use infer:<model>, infer:*, metrics:read, viewer, operator or admin',
        }),
        { message: 'is required (an array of scopes)' },
      )
      .min(1, 'needs at least one scope')
      .max(100, 'has more than 100 scopes'),
    name: z.string().max(200, 'is longer than 200 characters').optional(),
  })
  .strict();

/**
 * Deepest nesting of arrays and objects a body may have: a valid one needs 2 (the object, its
 * `scopes` array). Checked on the text before parsing, so no later step (validation, quoting a bad
 * value in the answer) walks a structure thousands of levels deep: that overflowed the stack (500).
 */
const MAX_NESTING = 8;
/** Unknown field names an answer lists before it only counts them. */
const MAX_FIELDS_SHOWN = 5;

/** POST /admin/api-keys body, or 400 naming the bad field (and the bad scope, by value). */
export function parseNewApiKey(body: unknown): NewApiKey {
  let json: unknown = body;
  if (Buffer.isBuffer(body)) {
    const text = body.toString('utf8');
    if (nestingExceeds(text, MAX_NESTING)) {
      throw invalidArgument(
        `the body nests arrays and objects more than ${MAX_NESTING} deep; a key request is {"tenant": "...", "scopes": ["..."]}`,
      );
    }
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw invalidArgument(
        `the body is not valid JSON: ${truncated((error as Error).message, 200)}`,
      );
    }
  }
  const parsed = newKeySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw invalidArgument(unknownFields(issue.keys));
    if (issue.path.length === 0) throw invalidArgument('the body must be a JSON object');
    const [field, index] = issue.path;
    if (field === 'scopes' && typeof index === 'number') {
      const scope = (json as { scopes: unknown[] }).scopes[index];
      throw invalidArgument(`field 'scopes': ${shownValue(scope)} ${issue.message}`);
    }
    throw invalidArgument(`field '${String(field)}' ${issue.message}`);
  }
  return { ...parsed.data, scopes: [...new Set(parsed.data.scopes)] };
}

/** Whether `text` (JSON or not) opens more than `max` arrays/objects inside each other. */
function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '[' || char === '{') {
      if (++depth > max) return true;
    } else if (char === ']' || char === '}') {
      depth--;
    }
  }
  return false;
}

function unknownFields(keys: readonly string[]): string {
  const shown = keys.slice(0, MAX_FIELDS_SHOWN).map((key) => quoted(key));
  const more = keys.length > MAX_FIELDS_SHOWN ? ` and ${keys.length - MAX_FIELDS_SHOWN} more` : '';
  return `unknown field ${shown.join(', ')}${more}`;
}

/** A bad scope as the answer names it: a string quoted (and cut), anything else by its type. */
function shownValue(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
