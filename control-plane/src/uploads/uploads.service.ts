import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ControlPlaneFailure, shown } from '../errors/control-plane-error';
import { appendBody, type AppendEnd, sha256OfFile } from './append-body';
import { isUploadId, newUploadId, type UploadRecord, type UploadStatus } from './upload-record';
import { UploadStore } from './upload-store';

/** A finished upload handed to the registry: read or move `path`, then call release(id). */
export interface ClaimedUpload {
  path: string;
  sizeBytes: number;
  sha256: string;
}

export interface NewUpload {
  length: number;
  filename: string | null;
}

export interface AppendRequest {
  /** Upload-Offset: where the caller believes the upload stands. */
  offset: number;
  /** Content-Length, or undefined for a chunked body. */
  declaredBytes: number | undefined;
  body: Readable;
  deadline: AbortSignal | undefined;
}

/** A temporary file left by an interrupted atomic write is removed once it is this old. */
const STRAY_GRACE_MS = 60_000;

/**
 * Resumable, size-bounded uploads of model artifacts (tus-like). The bytes go to
 * `<dataDir>/uploads/<id>.part`; the part's size is the offset, so a cut-off PATCH or a restart
 * loses nothing that was written. One writer per upload at a time. When the last byte lands the
 * file is hashed once, read back from disk (not while the bytes stream in: a PATCH may resume
 * anywhere, and what is hashed is then what the registry will read).
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger('Uploads');
  private readonly store: UploadStore;
  /** Uploads a PATCH is writing, or that are being hashed. */
  private readonly busy = new Set<string>();
  /** Handed to the registry and not yet released: the sweep leaves them alone. */
  private readonly claimed = new Set<string>();

  constructor(@InjectControlPlaneConfig() private readonly config: ControlPlaneConfig) {
    this.store = new UploadStore(path.join(config.dataDir, 'uploads'));
  }

  async prepare(): Promise<void> {
    await this.store.prepare();
  }

  async create({ length, filename }: NewUpload, now = Date.now()): Promise<UploadStatus> {
    const record: UploadRecord = {
      id: newUploadId(),
      length,
      filename,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.config.uploads.ttlSeconds * 1000).toISOString(),
      sha256: null,
    };
    await this.store.create(record);
    return statusOf(record, 0);
  }

  async status(id: string): Promise<UploadStatus> {
    const record = await this.record(id);
    const size = await this.size(record);
    if (size === record.length && record.sha256 === null && !this.busy.has(id)) {
      // The process stopped between the last byte and its hash.
      return statusOf(await this.finish(record), size);
    }
    return statusOf(record, size);
  }

  /**
   * Appends a body at `offset`. Refuses (before reading a byte) an upload another request is
   * writing (CONFLICT), an offset that is not the upload's (CONFLICT, with the right one) and a
   * Content-Length over what is left (PAYLOAD_TOO_LARGE). A chunked body going past the declared
   * length is written up to it, then refused. Failures carry `offset` in their extensions.
   */
  async append(id: string, request: AppendRequest): Promise<UploadStatus> {
    let record = await this.record(id);
    if (this.busy.has(id)) {
      throw new ControlPlaneFailure(
        'CONFLICT',
        `another request is writing upload ${id}; send the next PATCH once it has ended ` +
          '(HEAD gives the offset)',
        { uploadId: id },
      );
    }
    this.busy.add(id);
    try {
      const offset = await this.size(record);
      const failure = (code: 'CONFLICT' | 'PAYLOAD_TOO_LARGE', message: string) =>
        new ControlPlaneFailure(code, message, { uploadId: id, offset });
      if (request.offset !== offset) {
        throw failure(
          'CONFLICT',
          `Upload-Offset ${request.offset} is not where upload ${id} stands: send from byte ${offset}`,
        );
      }
      const room = record.length - offset;
      if (request.declaredBytes !== undefined && request.declaredBytes > room) {
        throw failure(
          'PAYLOAD_TOO_LARGE',
          `the body is ${request.declaredBytes} bytes; upload ${id} has ${room} of its ` +
            `Upload-Length ${record.length} left`,
        );
      }
      const { written, end } = await appendBody(
        this.store.partPath(id),
        request.body,
        room,
        request.deadline,
      );
      const reached = offset + written;
      if (reached === record.length) record = await this.finish(record);
      if (end !== 'body-ended') throw this.cutOff(end, record, reached, request.deadline);
      return statusOf(record, reached);
    } finally {
      this.busy.delete(id);
    }
  }

  /**
   * A finished upload for the registry to read or move. NOT_FOUND for an unknown or expired id,
   * CONFLICT while bytes are missing or being written. Until release(id) the sweep keeps it.
   */
  async claim(id: string): Promise<ClaimedUpload> {
    const record = await this.record(id);
    const size = await this.size(record);
    if (this.busy.has(id) || size !== record.length) {
      throw new ControlPlaneFailure(
        'CONFLICT',
        `upload ${id} is not complete: ${size} of ${record.length} bytes received`,
        { uploadId: id, offset: size },
      );
    }
    this.claimed.add(id);
    const sha256 = record.sha256 ?? (await this.finish(record)).sha256;
    return { path: this.store.partPath(id), sizeBytes: size, sha256 };
  }

  /** Deletes an upload (its part may already have been moved away). */
  async release(id: string): Promise<void> {
    if (!isUploadId(id)) return;
    this.claimed.delete(id);
    await this.store.remove(id);
  }

  /**
   * Deletes expired uploads (finished or not; claimed and busy ones stay) and files that belong to
   * no upload. Returns the ids removed.
   */
  async sweep(now = Date.now()): Promise<string[]> {
    const { ids, strays } = await this.store.list();
    const removed: string[] = [];
    for (const id of ids) {
      if (this.busy.has(id) || this.claimed.has(id)) continue;
      const record = await this.store.read(id);
      if (record !== undefined && Date.parse(record.expiresAt) > now) continue;
      await this.store.remove(id);
      removed.push(id);
    }
    for (const stray of strays) {
      const age = await this.store.ageMs(stray, now);
      if (age !== undefined && age >= STRAY_GRACE_MS) await this.store.removeFile(stray);
    }
    if (removed.length > 0) this.logger.log(`removed ${removed.length} expired upload(s)`);
    return removed;
  }

  /** The record of a live upload, or NOT_FOUND (unknown, malformed or expired id). */
  private async record(id: string): Promise<UploadRecord> {
    const record = isUploadId(id) ? await this.store.read(id) : undefined;
    if (record === undefined || Date.parse(record.expiresAt) <= Date.now()) {
      throw new ControlPlaneFailure('NOT_FOUND', `no upload ${shown(id)} (unknown or expired)`);
    }
    return record;
  }

  private async size(record: UploadRecord): Promise<number> {
    const size = await this.store.partSize(record.id);
    if (size === undefined) {
      throw new ControlPlaneFailure('NOT_FOUND', `upload ${record.id} has been removed`);
    }
    return size;
  }

  private async finish(record: UploadRecord): Promise<UploadRecord & { sha256: string }> {
    const finished = { ...record, sha256: await sha256OfFile(this.store.partPath(record.id)) };
    await this.store.write(finished);
    return finished;
  }

  private cutOff(
    end: Exclude<AppendEnd, 'body-ended'>,
    record: UploadRecord,
    offset: number,
    deadline: AbortSignal | undefined,
  ): ControlPlaneFailure {
    const extensions = { uploadId: record.id, offset };
    if (end === 'overflow') {
      return new ControlPlaneFailure(
        'PAYLOAD_TOO_LARGE',
        `the body goes past the Upload-Length of ${record.length} bytes; ` +
          `the upload holds its first ${record.length}`,
        extensions,
      );
    }
    if (end === 'deadline' && deadline?.reason instanceof ControlPlaneFailure) {
      return new ControlPlaneFailure('REQUEST_TIMEOUT', deadline.reason.message, extensions);
    }
    return new ControlPlaneFailure(
      'BAD_REQUEST',
      `the connection went away at byte ${offset}; resume from there`,
      extensions,
    );
  }
}

function statusOf(record: UploadRecord, offset: number): UploadStatus {
  const complete = offset === record.length && record.sha256 !== null;
  return {
    id: record.id,
    offset,
    length: record.length,
    filename: record.filename,
    expiresAt: record.expiresAt,
    complete,
    ...(complete ? { sha256: record.sha256!, sizeBytes: offset } : {}),
  };
}
