import { Inject, Injectable } from '@nestjs/common';
import { CameraTopology, CrossCameraAssociator, type TransitWindow } from '@vision-reid';
import { CONFIG_SLICE, type ConfigSlice } from '../config/gateway-config';

/** Tenants whose identities are kept at once; the least recently active one is forgotten first. */
const MAX_TENANTS = 1024;

/**
 * Without a declared topology every two cameras of a tenant may see the same person, within the
 * transit window (overlapping views: from 0).
 */
class AnyCameraTopology extends CameraTopology {
  constructor(private readonly anyPair: TransitWindow) {
    super({ links: [] });
  }

  override window(fromCameraId: string, toCameraId: string): TransitWindow | undefined {
    return fromCameraId === toCameraId ? super.window(fromCameraId, toCameraId) : this.anyPair;
  }
}

/**
 * Global identities per tenant: a person followed across that tenant's cameras (and streams),
 * never across tenants.
 */
@Injectable()
export class TenantReidentification {
  private readonly tenants = new Map<string, CrossCameraAssociator>();

  constructor(@Inject(CONFIG_SLICE.streams) private readonly settings: ConfigSlice<'streams'>) {}

  of(tenant: string): CrossCameraAssociator {
    let associator = this.tenants.get(tenant);
    if (associator) {
      // Map order is insertion order: re-inserting keeps the most recent last.
      this.tenants.delete(tenant);
    } else {
      associator = new CrossCameraAssociator({
        topology: new AnyCameraTopology({
          minTransitMs: 0,
          maxTransitMs: this.settings.reidMaxTransitMs,
        }),
        gallery: { maxIdentities: 4096, ttlMs: this.settings.reidMaxTransitMs * 2 },
        threshold: this.settings.reidThreshold,
      });
      if (this.tenants.size >= MAX_TENANTS) {
        this.tenants.delete(this.tenants.keys().next().value as string);
      }
    }
    this.tenants.set(tenant, associator);
    return associator;
  }
}
