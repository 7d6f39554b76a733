/**
 * MLflow's REST answers as they arrive (REST API 2.0, checked against MLflow 3.17.2). Protobuf JSON
 * leaves out empty fields (a run without params has no `params` key), so lists default to empty;
 * unknown fields are dropped. Only what lineage reads is described.
 */
import { z } from 'zod';

// int64 fields arrive as numbers from MLflow's server, as strings from strict protobuf JSON.
const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?[0-9]{1,19}$/)
    .transform(Number),
]);
// Protobuf JSON writes non-finite doubles as strings.
const double = z.union([
  z.number(),
  z.enum(['NaN', 'Infinity', '-Infinity']).transform((value) => Number(value)),
]);
const keyValues = z.array(z.object({ key: z.string(), value: z.string() })).default([]);

export const runAnswer = z.object({
  run: z.object({
    info: z.object({
      run_id: z.string(),
      run_name: z.string().optional(),
      experiment_id: z.string(),
      status: z.string(),
      start_time: int64,
      end_time: int64.optional(),
      artifact_uri: z.string(),
    }),
    data: z
      .object({
        params: keyValues,
        tags: keyValues,
        metrics: z.array(z.object({ key: z.string(), value: double })).default([]),
      })
      .default({ params: [], tags: [], metrics: [] }),
    inputs: z
      .object({
        dataset_inputs: z
          .array(
            z.object({
              tags: keyValues,
              dataset: z.object({
                name: z.string(),
                digest: z.string(),
                source_type: z.string(),
                source: z.string(),
              }),
            }),
          )
          .default([]),
      })
      .default({ dataset_inputs: [] }),
  }),
});
export type RunAnswer = z.infer<typeof runAnswer>;

export const experimentAnswer = z.object({
  experiment: z.object({ experiment_id: z.string(), name: z.string() }),
});

export const modelVersionAnswer = z.object({
  model_version: z.object({
    name: z.string(),
    version: z.string(),
    source: z.string(),
    run_id: z.string().optional(),
    status: z.string(),
    aliases: z.array(z.string()).default([]),
  }),
});
export type ModelVersionAnswer = z.infer<typeof modelVersionAnswer>;

export const artifactListAnswer = z.object({
  files: z
    .array(
      z.object({
        path: z.string(),
        is_dir: z.boolean().default(false),
        file_size: int64.optional(),
      }),
    )
    .default([]),
  next_page_token: z.string().optional(),
});

/** MLflow's error body; FastAPI routes (the artifact proxy) answer `{"detail": ...}` instead. */
export const errorAnswer = z.union([
  z.object({ error_code: z.string(), message: z.string().default('') }),
  z.object({ detail: z.string() }),
]);
export type ErrorAnswer = z.infer<typeof errorAnswer>;
