import { Agent, request as httpRequest } from 'node:http';
import type { SampleImage } from '../detect-overhead/images';

export type Priority = 'realtime' | 'bulk';

/** How one request ended: the HTTP status, or what happened instead of one. */
export type Outcome = number | 'hung' | 'connection-error';

export interface DetectClient {
  detect(image: SampleImage, priority: Priority): Promise<Outcome>;
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
  return {
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
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
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
