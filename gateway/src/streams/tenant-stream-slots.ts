import { GatewayError } from '../errors/gateway-error';

/** Open streams per tenant (GATEWAY_STREAMS_PER_TENANT): a tenant cannot take every stream. */
export class TenantStreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  /** Takes a slot for `tenant`, or refuses with RESOURCE_EXHAUSTED; the release is idempotent. */
  acquire(tenant: string): () => void {
    const held = this.open.get(tenant) ?? 0;
    if (held >= this.perTenant) {
      throw new GatewayError(
        'resource_exhausted',
        `tenant '${tenant}' has ${held} camera streams open, the most it may (GATEWAY_STREAMS_PER_TENANT)`,
      );
    }
    this.open.set(tenant, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(tenant) ?? 1) - 1;
      if (left > 0) this.open.set(tenant, left);
      else this.open.delete(tenant);
    };
  }
}
