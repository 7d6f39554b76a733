import { OTHER_LABEL } from './model-labels';

/**
 * Distinct tenants labelled by name; later ones share OTHER_LABEL. Tenants come from credentials
 * the gateway accepted (API keys an admin issued, JWTs of a trusted issuer), so a deployment has
 * far fewer; the bound keeps an issuer that mints a tenant per token from growing every scrape.
 */
export const MAX_TENANT_LABELS = 1000;

/** The `tenant` label value of a caller's tenant: its name while the bound allows. */
export class TenantLabels {
  private readonly named = new Set<string>();

  constructor(private readonly max: number = MAX_TENANT_LABELS) {}

  of(tenant: string): string {
    if (this.named.has(tenant)) return tenant;
    if (this.named.size >= this.max) return OTHER_LABEL;
    this.named.add(tenant);
    return tenant;
  }
}
