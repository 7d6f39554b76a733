import { createServer, type Server } from 'node:net';

/** A listening port of the configuration, by the setting that names it. */
export interface ConfiguredPort {
  setting: string;
  port: number;
}

/**
 * Refuses to start, before anything is built, when a configured port cannot be listened on: one
 * line naming the setting, the address and why. Nest logs "successfully started" before it binds
 * the HTTP port, and grpc-js reports a taken port as "No address added"; checked here, neither
 * is what an operator reads. Each port is held until all are checked, so two settings naming the
 * same port are caught too. Port 0 (any free port) needs no check.
 */
export async function checkPortsFree(
  host: string,
  ports: readonly ConfiguredPort[],
): Promise<void> {
  const held: Server[] = [];
  try {
    for (const { setting, port } of ports) {
      if (port === 0) continue;
      held.push(await listenOn(host, port, setting));
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function listenOn(host: string, port: number, setting: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(portError(setting, host, port, error)),
    );
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

/** The one-line refusal for a port that cannot be listened on (also for a bind that fails later). */
export function portError(
  setting: string,
  host: string,
  port: number,
  error: NodeJS.ErrnoException,
): Error {
  const why =
    error.code === 'EADDRINUSE'
      ? 'is already in use (another process, or the other port setting, listens there)'
      : error.code === 'EACCES'
        ? 'needs privileges this process does not have'
        : `cannot be listened on (${error.code ?? error.message})`;
  return new Error(
    `${setting}=${port}: port ${port} on ${host} ${why}; free it or set ${setting} to another port`,
  );
}
