import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  RoutingSnapshotSchema,
  type RoutingSnapshot,
} from '@contracts/generated/control/v1/routing_pb';

/**
 * The last applied routing snapshot on disk (`<dataDir>/routing/snapshot.binpb`): what a gateway
 * serves after a restart while the control plane is away. Written whole or not at all (a temporary
 * file, fsync'd, renamed over the old one), so a crash mid-write leaves the previous snapshot.
 */
export class RoutingSnapshotStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'routing', 'snapshot.binpb');
  }

  /** The persisted snapshot; undefined when there is none. Throws when it cannot be read or decoded. */
  async load(): Promise<RoutingSnapshot | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return fromBinary(RoutingSnapshotSchema, bytes);
  }

  async save(snapshot: RoutingSnapshot): Promise<void> {
    const directory = join(this.file, '..');
    await mkdir(directory, { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(toBinary(RoutingSnapshotSchema, snapshot));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    // The rename itself survives a power loss only once the directory entry is on disk.
    const folder = await open(directory, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}
