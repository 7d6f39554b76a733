import { ControlPlaneFailure } from '../errors/control-plane-error';
import { type ModelEntity } from '../registry/entities/model.entity';
import { type ModelCatalogService } from '../registry/model-catalog.service';
import { type DeploymentSpec } from './deployment-spec';

/** Each version a spec routes to, with the field that names it. */
function versionsNamed(spec: DeploymentSpec): [field: string, version: string][] {
  return [
    ['stableVersion', spec.stableVersion],
    ...(spec.canary === null ? [] : [['canary.version', spec.canary.version] as [string, string]]),
    ...spec.shadows.map((shadow, i): [string, string] => [`shadows[${i}].version`, shadow.version]),
    ...spec.tenantOverrides.map((o, i): [string, string] => [
      `tenantOverrides[${i}].version`,
      o.version,
    ]),
  ];
}

/**
 * Every version a spec names must exist, be ready (it answered its warm-up) and be served (the
 * backends load it: the repository's version policy or loadModelVersion). Gateways refuse a whole
 * snapshot naming a version no backend serves, so such a spec is refused here, naming the field.
 */
export async function checkServable(
  catalog: ModelCatalogService,
  model: ModelEntity,
  spec: DeploymentSpec,
): Promise<void> {
  const versions = (await catalog.versionsOfModels([model.id])).get(model.id) ?? [];
  const byName = new Map(versions.map((row) => [row.version, row]));
  for (const [field, name] of versionsNamed(spec)) {
    const version = byName.get(name);
    const refusal =
      version === undefined
        ? `${field}: model ${model.name} has no version ${name}`
        : version.status !== 'ready'
          ? `${field}: version ${name} of ${model.name} is ${version.status}, not ready`
          : !version.served
            ? `${field}: version ${name} of ${model.name} is not served by the backends; load it first (loadModelVersion)`
            : null;
    if (refusal !== null) {
      throw new ControlPlaneFailure('BAD_USER_INPUT', refusal, { argument: field, version: name });
    }
  }
}
