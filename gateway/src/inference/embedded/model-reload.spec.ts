import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { NANODET_INPUT_SIZE, nanodetReference } from '../../../test/nanodet-reference';
import { MODEL_REPOSITORY, seededFloats } from '../../../test/test-gateway';
import type { InferRequest } from '../../request-path/inference-backend';
import { LoadedModel } from './loaded-model';
import { OnnxRuntimeBackend } from './onnx-runtime.backend';

const NANODET_ONNX = resolve(MODEL_REPOSITORY, 'nanodet/1/model.onnx');

function request(input: Float32Array, batch: number): InferRequest {
  return {
    model: 'nanodet',
    version: '',
    inputs: [{ name: 'images', datatype: 'FP32', shape: [batch, 3, 416, 416], data: input }],
    outputs: ['cls_s32'],
  };
}

function addVersion(root: string, version: string): void {
  mkdirSync(join(root, 'nanodet', version), { recursive: true });
  symlinkSync(NANODET_ONNX, join(root, 'nanodet', version, 'model.onnx'));
}

/** Instances still running in a load's pools (0 once its sessions are closed). */
function runningInstances(loaded: LoadedModel): number {
  return [...loaded.pools.values()].reduce((sum, pool) => sum + pool.size, 0);
}

describe('OnnxRuntimeBackend reload and unload (in-flight calls, one load at a time)', () => {
  let root: string;
  let backend: OnnxRuntimeBackend;
  const internals = () => backend as unknown as { models: Map<string, LoadedModel> };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['error', 'warn', 'log']);
  });
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'ort-reload-'));
    addVersion(root, '1');
    cpSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), join(root, 'nanodet/config.pbtxt'));
    cpSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), join(root, 'nanodet/labels.txt'));
    backend = new OnnxRuntimeBackend({ repository: root, intraOpThreads: 1 });
    await backend.load();
  });
  afterEach(async () => {
    await backend.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('calls running during a reload finish on the old sessions; later calls get the new version; the old sessions close after', async () => {
    const before = internals().models.get('nanodet')!;
    const input = seededFloats(4 * NANODET_INPUT_SIZE, 9);
    const running = [1, 2, 3].map(() => backend.infer(request(input, 4)));
    addVersion(root, '2');
    await backend.loadModel('nanodet');
    expect(backend.listModels()[0].versions).toEqual(['2']);
    const after = await backend.infer(request(input, 4));
    expect(after.version).toBe('2');

    const reference = (await nanodetReference(input, 4)).cls_s32;
    for (const result of await Promise.all(running)) {
      expect(result.version).toBe('1');
      expect(result.outputs[0].data).toEqual(reference);
    }
    expect(after.outputs[0].data).toEqual(reference);
    await before.retire();
    expect(runningInstances(before)).toBe(0);
  });

  it('unload: running calls finish, new ones are not_found as for an unknown model, the sessions close', async () => {
    const loaded = internals().models.get('nanodet')!;
    const input = seededFloats(4 * NANODET_INPUT_SIZE, 10);
    const running = backend.infer(request(input, 4));
    await backend.unloadModel('nanodet');
    expect(backend.isModelReady('nanodet', '')).toBe(false);
    await expect(backend.infer(request(input, 4))).rejects.toMatchObject({
      kind: 'not_found',
      message: "unknown model 'nanodet'",
    });
    expect((await running).outputs[0].data).toEqual((await nanodetReference(input, 4)).cls_s32);
    await loaded.retire();
    expect(runningInstances(loaded)).toBe(0);
    expect(await backend.repositoryIndex(false)).toEqual([
      { name: 'nanodet', version: '', state: 'UNAVAILABLE', reason: 'unloaded' },
    ]);
  });

  it('loads of one model asked for at once run one after another, never two session sets at once', async () => {
    const start = LoadedModel.start.bind(LoadedModel);
    let active = 0;
    let most = 0;
    let calls = 0;
    const spy = jest.spyOn(LoadedModel, 'start').mockImplementation(async (...args) => {
      calls += 1;
      most = Math.max(most, ++active);
      try {
        return await start(...args);
      } finally {
        active -= 1;
      }
    });
    try {
      await Promise.all([1, 2, 3].map(() => backend.loadModel('nanodet')));
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(3);
    expect(most).toBe(1);
    expect(backend.isModelReady('nanodet', '1')).toBe(true);
  });

  it('in mode none, load and unload are refused with unavailable and change nothing', async () => {
    const fixed = new OnnxRuntimeBackend({
      repository: root,
      intraOpThreads: 1,
      modelControl: 'none',
    });
    await fixed.load();
    try {
      await expect(fixed.unloadModel('nanodet')).rejects.toMatchObject({
        kind: 'unavailable',
        message: 'explicit model load / unload is not allowed if polling is enabled',
      });
      await expect(fixed.loadModel('nanodet')).rejects.toMatchObject({ kind: 'unavailable' });
      expect(fixed.isModelReady('nanodet', '1')).toBe(true);
    } finally {
      await fixed.close();
    }
  });
});
