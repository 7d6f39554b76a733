import { z } from 'zod';
import { invalidArgument } from '../../errors/gateway-error';
import { isScope } from '../caller';
import type { NewApiKey } from './api-key-service';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

const newKeySchema = z
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
          message: 'is not a scope: use infer:<model>, infer:*, metrics:read or admin',
        }),
        { message: 'is required (an array of scopes)' },
      )
      .min(1, 'needs at least one scope')
      .max(100, 'has more than 100 scopes'),
    name: z.string().max(200, 'is longer than 200 characters').optional(),
  })
  .strict();

/** POST /admin/api-keys body, or 400 naming the bad field (and the bad scope, by value). */
export function parseNewApiKey(body: unknown): NewApiKey {
  let json: unknown = body;
  if (Buffer.isBuffer(body)) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw invalidArgument(`the body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = newKeySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw invalidArgument(`unknown field ${issue.keys.map((key) => `'${key}'`).join(', ')}`);
    }
    if (issue.path.length === 0) throw invalidArgument('the body must be a JSON object');
    const [field, index] = issue.path;
    if (field === 'scopes' && typeof index === 'number') {
      const scope = JSON.stringify((json as { scopes: unknown[] }).scopes[index]);
      throw invalidArgument(`field 'scopes': ${scope} ${issue.message}`);
    }
    throw invalidArgument(`field '${String(field)}' ${issue.message}`);
  }
  return { ...parsed.data, scopes: [...new Set(parsed.data.scopes)] };
}
