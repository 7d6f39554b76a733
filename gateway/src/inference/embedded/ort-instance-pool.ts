import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { OnnxSignature } from '@model-repository';
import { GatewayError } from '../../errors/gateway-error';
import { giveBack, movableBuffer } from '../handed-over';
import type { OrtWorkerData, WireTensor, WorkerMessage, WorkerReply } from './ort-worker-protocol';

/** How long unload waits for an instance to finish its queued runs before terminating it. */
const CLOSE_GRACE_MS = 30_000;

interface Pending {
  resolve: (outputs: WireTensor[]) => void;
  reject: (error: Error) => void;
}

interface Instance {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The instances (worker threads, one ONNX Runtime session each) of one model version, like
 * Triton's instance_group: a run goes to the instance with the fewest runs outstanding. An
 * instance that dies fails only its own runs, with UNAVAILABLE, and is replaced.
 */
export class OrtInstancePool {
  private readonly logger = new Logger(OrtInstancePool.name);
  private readonly instances: Instance[] = [];
  private nextId = 1;
  private closed = false;
  private loadedSignature: OnnxSignature = { inputs: [], outputs: [] };

  private constructor(
    private readonly label: string,
    private readonly data: OrtWorkerData,
  ) {}

  static async start(label: string, data: OrtWorkerData, count: number): Promise<OrtInstancePool> {
    const pool = new OrtInstancePool(label, data);
    try {
      for (let index = 0; index < Math.max(1, count); index += 1)
        pool.instances.push(await pool.spawn());
    } catch (error) {
      // The instances that did start would otherwise hold their sessions (and threads) forever.
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.instances.length;
  }

  /** What the sessions of this pool take and give (all instances load the same file). */
  get signature(): OnnxSignature {
    return this.loadedSignature;
  }

  /** `deadline` (epoch ms): a run not started by then is refused with deadline_exceeded. */
  run(feeds: WireTensor[], fetches: string[], deadline?: number): Promise<WireTensor[]> {
    if (this.closed || this.instances.length === 0) {
      return Promise.reject(new GatewayError('unavailable', `${this.label} is not loaded`));
    }
    const instance = this.instances.reduce((best, candidate) =>
      candidate.pending.size < best.pending.size ? candidate : best,
    );
    const id = this.nextId++;
    // Handed-over inputs move to the worker's thread; every other input is copied (cloned).
    const transfer = new Set<ArrayBuffer>();
    const moved: number[] = [];
    feeds.forEach(({ data }, index) => {
      const buffer = movableBuffer(data);
      if (!buffer || transfer.has(buffer)) return;
      transfer.add(buffer);
      moved.push(index);
    });
    return new Promise<WireTensor[]>((resolve, reject) => {
      instance.pending.set(id, { resolve, reject });
      post(instance, { kind: 'run', id, feeds, fetches, deadline, moved }, [...transfer]);
    });
  }

  /** Refuses new runs, lets every instance answer the runs it has, then ends its thread. */
  async close(): Promise<void> {
    this.closed = true;
    const instances = this.instances.splice(0);
    await Promise.all(instances.map((instance) => this.stop(instance)));
    for (const instance of instances) this.failAll(instance, `${this.label} was unloaded`);
  }

  private async stop(instance: Instance): Promise<void> {
    const exited = new Promise<void>((resolve) => instance.worker.once('exit', () => resolve()));
    post(instance, { kind: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), CLOSE_GRACE_MS);
    });
    const late = await Promise.race([exited.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (late) {
      this.logger.warn(`${this.label}: an instance did not finish within ${CLOSE_GRACE_MS} ms`);
      await instance.worker.terminate();
    }
  }

  private spawn(): Promise<Instance> {
    // Under ts sources (tests, scripts) the worker file is TypeScript and needs the same loader.
    const typescript = extname(__filename) === '.ts';
    const worker = new Worker(join(__dirname, `ort-worker${extname(__filename)}`), {
      workerData: this.data,
      execArgv: typescript ? ['-r', '@swc-node/register'] : [],
    });
    const instance: Instance = { worker, pending: new Map() };
    return new Promise<Instance>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') {
          this.loadedSignature = reply.signature;
          resolve(instance);
        } else if (reply.kind === 'load-error')
          reject(new Error(`${this.label}: ${reply.message}`));
        else this.settle(instance, reply);
      });
      worker.on('error', (error) => {
        this.logger.error(`${this.label} instance failed: ${error.message}`);
        reject(error);
      });
      worker.on('exit', (code) => this.replace(instance, code));
    });
  }

  private settle(instance: Instance, reply: Extract<WorkerReply, { id: number }>): void {
    const pending = instance.pending.get(reply.id);
    if (!pending) return;
    instance.pending.delete(reply.id);
    if (reply.kind === 'result') {
      for (const buffer of reply.returned) giveBack(buffer);
      pending.resolve(reply.outputs);
    } else if (reply.kind === 'expired')
      pending.reject(
        new GatewayError(
          'deadline_exceeded',
          `the deadline passed while the request waited for ${this.label}; it was not run`,
        ),
      );
    else
      pending.reject(
        new GatewayError(
          'invalid_argument',
          `${this.label} rejected the request: ${reply.message}`,
        ),
      );
  }

  private replace(instance: Instance, code: number): void {
    const index = this.instances.indexOf(instance);
    if (index < 0 || this.closed) return;
    this.instances.splice(index, 1);
    this.failAll(instance, `${this.label} instance exited (code ${code})`);
    this.spawn().then(
      (fresh) => (this.closed ? void fresh.worker.terminate() : this.instances.push(fresh)),
      (error: Error) =>
        this.logger.error(`${this.label}: could not restart an instance: ${error.message}`),
    );
  }

  private failAll(instance: Instance, reason: string): void {
    for (const pending of instance.pending.values())
      pending.reject(new GatewayError('unavailable', reason));
    instance.pending.clear();
  }
}

function post(instance: Instance, message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  instance.worker.postMessage(message, transfer);
}
