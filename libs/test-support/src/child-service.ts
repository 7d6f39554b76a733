/**
 * A server under test in a child Node process (TypeScript compiled on the fly by @swc-node): the
 * gateway and control-plane starters of the tests and benchmarks differ only in entry file, node
 * flags, environment and how the child says it is ready, so the start-up, the start-up errors and
 * the stopping live here once.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the child says it is ready, and what it hands back then. */
export type ReadyWhen<Ready> =
  /** Its first IPC message (the channel is opened for it); throw to refuse the message. */
  | { message: (message: unknown) => Ready }
  /** A stdout line; undefined for every line that is not the one. */
  | { line: (line: string) => Ready | undefined }
  /** Polled from outside, every `everyMs`, until it gives a value. */
  | { poll: () => Promise<Ready | undefined>; everyMs: number };

export interface ChildServiceOptions<Ready> {
  /** What errors call it: "gateway", "control plane". */
  name: string;
  /** The file to run, absolute or relative to `cwd`. */
  entry: string;
  /** Node flags ahead of the entry (V8 limits, --expose-gc). */
  nodeFlags?: readonly string[];
  /** Nothing it loads is TypeScript (a compiled app): run without the TypeScript register. */
  compiled?: boolean;
  /** The child's whole environment: nothing of this process's is added. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * 'inherit' shows it as it comes; 'collect' keeps it (both streams interleaved) for output() and
   * the start-up errors. Stdout is read anyway when readiness is a line.
   */
  stdout: 'inherit' | 'collect';
  stderr: 'inherit' | 'collect';
  /** How much collected output is kept: its last this many characters. Default: all. */
  outputKept?: number;
  ready: ReadyWhen<Ready>;
  startTimeoutMs: number;
  /**
   * SIGKILL it when this process exits. For a child with no IPC channel, which cannot notice its
   * parent going away and would hold its ports and cores.
   */
  killOnParentExit?: boolean;
}

/** How the child ended, and the output it left when that was collected. */
export interface ChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface ChildService<Ready> {
  /** What the child handed back when it became ready (its addresses). */
  ready: Ready;
  /** Its process id, to read its memory and CPU from /proc. */
  pid: number;
  /** Whether the process is still running (it did not crash). */
  alive(): boolean;
  /** How it ended, once it has (a crash names its code or signal). */
  readonly result: ChildResult | undefined;
  /** Resolves once it has ended and its output is all read. */
  ended: Promise<ChildResult>;
  /** The collected output so far ('' where none is collected). */
  output(): string;
  /** Sends `message` over IPC and resolves with the child's next message. */
  ask(message: string): Promise<unknown>;
  /** SIGTERM (a graceful shutdown); SIGKILL after `killAfterMs` when given. */
  stop(killAfterMs?: number): Promise<ChildResult>;
  /** SIGKILL: the crash case. */
  kill(): Promise<ChildResult>;
}

export async function startChildService<Ready>(
  options: ChildServiceOptions<Ready>,
): Promise<ChildService<Ready>> {
  const { name, ready } = options;
  const ipc = 'message' in ready;
  const readsStdout = options.stdout === 'collect' || 'line' in ready;
  const stdio: StdioOptions = [
    'ignore',
    readsStdout ? 'pipe' : 'inherit',
    options.stderr === 'collect' ? 'pipe' : 'inherit',
    ...(ipc ? ['ipc' as const] : []),
  ];
  // Resolved here, not by node from `cwd`: the cwd may be a folder without node_modules.
  const register = require.resolve('@swc-node/register');
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...(options.compiled ? [] : ['-r', register]), options.entry],
    { cwd: options.cwd, env: options.env, stdio },
  );

  let output = '';
  const kept = options.outputKept ?? Infinity;
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > kept) output = output.slice(-kept);
  };
  if (options.stdout === 'collect') child.stdout?.on('data', keep);
  if (options.stderr === 'collect') child.stderr?.on('data', keep);

  let result: ChildResult | undefined;
  const ended = new Promise<ChildResult>((resolve) =>
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      result = { exitCode, signal, output };
      resolve(result);
    }),
  );
  // A spawn or IPC failure; start-up reports it (events.once rejects on 'error'), and afterwards it
  // must not throw out of an event emitter in the test process.
  child.on('error', () => undefined);
  if (options.killOnParentExit) {
    const killChild = (): void => void child.kill('SIGKILL');
    process.once('exit', killChild);
    void ended.then(() => process.off('exit', killChild));
  }

  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = (): Promise<ChildResult> => {
    if (alive()) child.kill('SIGKILL');
    return ended;
  };

  const readyValue = await waitUntilReady(child, options).catch(async (error: unknown) => {
    await kill();
    const collected = options.stdout === 'collect' || options.stderr === 'collect';
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(collected ? `${message}; its output:\n${output}` : message);
  });
  if (child.pid === undefined) throw new Error(`${name} has no process id`);

  return {
    ready: readyValue,
    pid: child.pid,
    alive,
    get result() {
      return result;
    },
    ended,
    output: () => output,
    ask: (message) => ask(child, name, message),
    stop: (killAfterMs) => {
      if (alive()) {
        child.kill('SIGTERM');
        if (killAfterMs !== undefined) {
          const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          void ended.then(() => clearTimeout(timer));
        }
      }
      return ended;
    },
    kill,
  };
}

async function waitUntilReady<Ready>(
  child: ChildProcess,
  options: ChildServiceOptions<Ready>,
): Promise<Ready> {
  const { name, startTimeoutMs } = options;
  // Ends the losers of the race: the timer, the exit watch, the poll loop and line listener.
  const done = new AbortController();
  const { signal } = done;
  try {
    return await Promise.race([
      readySignal(child, options.ready, signal),
      sleep(startTimeoutMs, undefined, { signal }).then(() => {
        throw new Error(`${name} did not start within ${startTimeoutMs / 1000} s`);
      }),
      once(child, 'exit', { signal }).then(([code, exitSignal]: unknown[]) => {
        throw new Error(
          `${name} exited during start-up (code ${String(code)}, signal ${String(exitSignal)})`,
        );
      }),
    ]);
  } finally {
    done.abort();
  }
}

async function readySignal<Ready>(
  child: ChildProcess,
  ready: ReadyWhen<Ready>,
  signal: AbortSignal,
): Promise<Ready> {
  if ('message' in ready) {
    const [message] = (await once(child, 'message', { signal })) as unknown[];
    return ready.message(message);
  }
  if ('line' in ready) {
    if (!child.stdout) throw new Error('no stdout to read');
    // The interface stays open after start-up, so the child's stdout keeps being drained.
    const lines = createInterface({ input: child.stdout });
    return new Promise<Ready>((resolve, reject) => {
      const onLine = (line: string): void => {
        try {
          const value = ready.line(line);
          if (value === undefined) return;
          lines.off('line', onLine);
          resolve(value);
        } catch (error) {
          lines.off('line', onLine);
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      lines.on('line', onLine);
      signal.addEventListener('abort', () => lines.off('line', onLine), { once: true });
    });
  }
  for (;;) {
    const value = await ready.poll();
    if (value !== undefined) return value;
    await sleep(ready.everyMs, undefined, { signal });
  }
}

function ask(child: ChildProcess, name: string, message: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error(`the ${name} process exited`));
    child.once('exit', onExit);
    child.once('message', (reply: unknown) => {
      child.off('exit', onExit);
      resolve(reply);
    });
    child.send(message);
  });
}
