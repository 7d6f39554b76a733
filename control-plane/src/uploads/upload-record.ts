import { randomBytes } from 'node:crypto';

/** What the control plane keeps about one upload, in `<dataDir>/uploads/<id>.json`. */
export interface UploadRecord {
  id: string;
  /** Declared size in bytes (Upload-Length). */
  length: number;
  /** The caller's name for the file (Upload-Metadata `filename`), for display only. */
  filename: string | null;
  createdAt: string;
  /** When the sweep deletes it, finished or not (unless claimed meanwhile). */
  expiresAt: string;
  /** Hex sha256 of the whole file, once its last byte has landed. */
  sha256: string | null;
}

/** What HEAD / GET / POST / PATCH answer about an upload. */
export interface UploadStatus {
  id: string;
  offset: number;
  length: number;
  filename: string | null;
  expiresAt: string;
  complete: boolean;
  /** Present once complete. */
  sha256?: string;
  sizeBytes?: number;
}

/** 128 random bits in hex: unguessable, and safe as a file name. */
export function newUploadId(): string {
  return randomBytes(16).toString('hex');
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** Checked before an id goes near the file system (no `../`, no other names). */
export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

/** A sidecar read back from disk, or undefined when it is not one of ours. */
export function parseUploadRecord(text: string): UploadRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const ok =
    typeof record.id === 'string' &&
    isUploadId(record.id) &&
    Number.isSafeInteger(record.length) &&
    (record.filename === null || typeof record.filename === 'string') &&
    typeof record.createdAt === 'string' &&
    typeof record.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(record.expiresAt)) &&
    (record.sha256 === null || typeof record.sha256 === 'string');
  return ok ? (record as unknown as UploadRecord) : undefined;
}
