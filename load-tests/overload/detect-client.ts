import { Agent, request as httpRequest } from 'node:http';
import type { SampleImage } from '../detect-overhead/images';

export type Priority = 'realtime' | 'bulk';

/** How one request ended: the HTTP status, or what happened instead of one. */
export type Outcome = number | 'hung' | 'connection-error';

export interface DetectClient {
  detect(image: SampleImage, priority: Priority): Promise<Outcome>;
  /** Per-stage wall times (`timingsMs`) of every answered (200) call so far. */
  readonly answeredTimings: Record<string, number>[];
  close(): void;
}

/**
 * Raw detect calls for load: the status is the result (a refusal is an answer, not a failure), and a
 * request unanswered after `hungAfterMs` counts as hung, the one outcome the gateway must never produce.
 */
export function detectClient(
  httpUrl: string,
  model: string,
  headers: Record<string, string>,
  deadlineMs: number,
  hungAfterMs: number,
): DetectClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 2048 });
  const url = new URL(`/v1/models/${model}/detect`, httpUrl);
  const answeredTimings: Record<string, number>[] = [];
  return {
    answeredTimings,
    detect: (image, priority) =>
      new Promise((resolve) => {
        const call = httpRequest(
          url,
          {
            method: 'POST',
            agent,
            headers: {
              ...headers,
              'content-type': image.contentType,
              'content-length': image.bytes.byteLength,
              'x-request-timeout': String(deadlineMs),
              'x-priority': priority,
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              if (response.statusCode === 200) {
                const body = JSON.parse(Buffer.concat(chunks).toString()) as {
                  timingsMs?: Record<string, number>;
                };
                if (body.timingsMs) answeredTimings.push(body.timingsMs);
              }
              resolve(response.statusCode ?? 0);
            });
            response.on('error', () => resolve('connection-error'));
          },
        );
        call.setTimeout(hungAfterMs, () => {
          call.destroy();
          resolve('hung');
        });
        call.on('error', () => resolve('connection-error'));
        call.end(image.bytes);
      }),
    close: () => agent.destroy(),
  };
}
