import type { IncomingHttpHeaders } from 'node:http';
import { ControlPlaneFailure, shown } from '../errors/control-plane-error';

/** 16 digits: more than 2^40 (the largest CONTROL_PLANE_MAX_UPLOAD_BYTES), and never a lossy number. */
const BYTE_COUNT = /^\d{1,16}$/;
const MAX_FILENAME_LENGTH = 255;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const UNSAFE_IN_FILENAME = /[\u0000-\u001f\u007f/\\]/;

/**
 * Upload-Length of a POST: required, a positive integer, at most `maxBytes` (413 otherwise, before
 * any byte of a body is read).
 */
export function uploadLength(headers: IncomingHttpHeaders, maxBytes: number): number {
  const value = byteCount(headers, 'upload-length', 'Upload-Length', 'the upload size in bytes');
  if (value === 0) {
    throw new ControlPlaneFailure('BAD_REQUEST', 'Upload-Length must be at least 1 byte');
  }
  if (value > maxBytes) {
    throw new ControlPlaneFailure(
      'PAYLOAD_TOO_LARGE',
      `Upload-Length ${value} is over the largest upload the control plane takes, ${maxBytes} ` +
        'bytes (CONTROL_PLANE_MAX_UPLOAD_BYTES)',
    );
  }
  return value;
}

/** Upload-Offset of a PATCH: required, the byte the body starts at. */
export function uploadOffset(headers: IncomingHttpHeaders): number {
  return byteCount(
    headers,
    'upload-offset',
    'Upload-Offset',
    'the byte the body starts at (HEAD gives it)',
  );
}

/** Content-Length as Node has already checked it, or undefined for a chunked body. */
export function declaredBodyBytes(headers: IncomingHttpHeaders): number | undefined {
  return headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
}

function byteCount(
  headers: IncomingHttpHeaders,
  name: string,
  shownName: string,
  meaning: string,
): number {
  const value = headers[name];
  if (value === undefined) {
    throw new ControlPlaneFailure('BAD_REQUEST', `the ${shownName} header is required: ${meaning}`);
  }
  const text = Array.isArray(value) ? value.join(',') : value.trim();
  if (!BYTE_COUNT.test(text)) {
    throw new ControlPlaneFailure(
      'BAD_REQUEST',
      `${shownName} must be a non-negative integer (got ${shown(text)})`,
    );
  }
  return Number(text);
}

/**
 * The file name, from tus' `Upload-Metadata: filename <base64>` or a JSON body `{"filename": ...}`;
 * null when neither gives one. For display only: it never becomes a path.
 */
export function uploadFilename(headers: IncomingHttpHeaders, body: unknown): string | null {
  const metadata = headers['upload-metadata'];
  if (typeof metadata === 'string') {
    for (const pair of metadata.split(',')) {
      const [key, value = ''] = pair.trim().split(' ');
      if (key === 'filename') return checkedFilename(Buffer.from(value, 'base64').toString('utf8'));
    }
  }
  if (typeof body === 'object' && body !== null && 'filename' in body) {
    const { filename } = body;
    if (typeof filename !== 'string') {
      throw new ControlPlaneFailure('BAD_REQUEST', 'filename must be a string');
    }
    return checkedFilename(filename);
  }
  return null;
}

function checkedFilename(name: string): string {
  if (name.length === 0 || name.length > MAX_FILENAME_LENGTH || UNSAFE_IN_FILENAME.test(name)) {
    throw new ControlPlaneFailure(
      'BAD_REQUEST',
      `filename must be 1-${MAX_FILENAME_LENGTH} characters without slashes or control ` +
        `characters (got ${shown(name)})`,
    );
  }
  return name;
}
