import { createHash } from 'node:crypto';
import type { ModelRoute, RoutingSnapshot } from '@contracts/generated/control/v1/routing_pb';
import type { CallContext } from '../request-path/call-context';
import type { InferenceBackend } from '../request-path/inference-backend';
import type { RouteDecision, ShadowCopy } from '../request-path/route-decision';

/** What validation needs from the backend: `resolve` throws for a version it does not serve. */
export type ServedVersionLookup = Pick<InferenceBackend, 'resolve'>;

/** A snapshot the gateway will not serve, and the first reason why. */
export class RoutingTableRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RoutingTableRejection';
  }
}

/** Canary points: a call's point in [0, POINTS) is canary when below weight × POINTS / 100. */
const POINTS = 10_000;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

type StickyKey = { kind: 'none' } | { kind: 'tenant' } | { kind: 'header'; name: string };

/** One model's route, validated and ready for decisions. */
export interface CompiledRoute {
  readonly model: string;
  readonly deploymentRevision: bigint;
  readonly stableVersion: string;
  /** '' when there is no canary. */
  readonly canaryVersion: string;
  /** Calls whose point is below this go to the canary (weight × 100). */
  readonly canaryPoints: number;
  readonly shadows: readonly { version: string; samplePercent: number }[];
  readonly sticky: StickyKey;
  readonly overrides: ReadonlyMap<string, string>;
}

/**
 * One routing snapshot, validated and immutable: the route stage captures it once per call and
 * asks it where the call goes. Replaced as a whole (RoutingState), never changed.
 */
export class RoutingTable {
  static readonly IDENTITY = new RoutingTable(0n, 0n, new Map());

  private constructor(
    readonly revision: bigint,
    /** When the control plane made it (ms since the epoch); 0: unknown (identity). */
    readonly createdUnixMs: bigint,
    private readonly routes: ReadonlyMap<string, CompiledRoute>,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Validates `snapshot` (and, given `served`, that the backend serves every version it names)
   * into a table; throws RoutingTableRejection naming the first problem.
   */
  static from(
    snapshot: RoutingSnapshot,
    served?: ServedVersionLookup,
    random: () => number = Math.random,
  ): RoutingTable {
    if (snapshot.revision === 0n && snapshot.routes.length > 0) {
      throw new RoutingTableRejection('revision 0 means no routing and must carry no routes');
    }
    const routes = new Map<string, CompiledRoute>();
    for (const [index, route] of snapshot.routes.entries()) {
      const compiled = compileRoute(route, index);
      if (routes.has(compiled.model)) {
        throw new RoutingTableRejection(`model '${compiled.model}' has more than one route`);
      }
      if (served) checkServed(compiled, served);
      routes.set(compiled.model, compiled);
    }
    return new RoutingTable(snapshot.revision, snapshot.createdUnixMs, routes, random);
  }

  get size(): number {
    return this.routes.size;
  }

  route(model: string): CompiledRoute | undefined {
    return this.routes.get(model);
  }

  /** Where a call to `model` that names no version goes, and the shadows it is sampled for. */
  decide(model: string, call: CallContext): RouteDecision {
    const route = this.routes.get(model);
    if (!route) {
      return {
        role: 'identity',
        version: '',
        revision: this.revision,
        deploymentRevision: 0n,
        shadows: [],
      };
    }
    const override = route.overrides.get(call.caller.tenant);
    let decision: Pick<RouteDecision, 'role' | 'version'>;
    if (override !== undefined) {
      decision = { role: 'tenant-override', version: override };
    } else if (route.canaryVersion !== '' && this.pointOf(route, call) < route.canaryPoints) {
      decision = { role: 'canary', version: route.canaryVersion };
    } else {
      decision = { role: 'stable', version: route.stableVersion };
    }
    return {
      ...decision,
      revision: this.revision,
      deploymentRevision: route.deploymentRevision,
      shadows: this.sampleShadows(route, decision.version),
    };
  }

  /**
   * The call's point in [0, POINTS): from its sticky key's value when it has one, so one client
   * stays on one side and a growing weight only moves clients from stable to canary; random
   * otherwise (no sticky key, or the call lacks the value).
   */
  private pointOf(route: CompiledRoute, call: CallContext): number {
    const value = stickyValue(route.sticky, call);
    if (value === undefined) return Math.floor(this.random() * POINTS);
    return stickyPoint(route.model, value);
  }

  private sampleShadows(route: CompiledRoute, chosen: string): ShadowCopy[] {
    const copies: ShadowCopy[] = [];
    for (const shadow of route.shadows) {
      if (shadow.version === chosen || shadow.samplePercent <= 0) continue;
      if (this.random() * 100 < shadow.samplePercent) copies.push({ version: shadow.version });
    }
    return copies;
  }
}

/** A sticky value's point: the first 32 bits of SHA-256(model, value), reduced to [0, POINTS). */
export function stickyPoint(model: string, value: string): number {
  // The NUL keeps ('ab', 'c') and ('a', 'bc') apart; model names and header values hold none.
  const digest = createHash('sha256').update(model).update('\0').update(value).digest();
  return digest.readUInt32BE(0) % POINTS;
}

function stickyValue(sticky: StickyKey, call: CallContext): string | undefined {
  switch (sticky.kind) {
    case 'none':
      return undefined;
    case 'tenant':
      return call.caller.tenant;
    case 'header': {
      const value = call.header?.(sticky.name);
      return value === undefined || value === '' ? undefined : value;
    }
  }
}

function compileRoute(route: ModelRoute, index: number): CompiledRoute {
  const where = route.model === '' ? `routes[${index}]` : `route '${route.model}'`;
  const reject = (problem: string): never => {
    throw new RoutingTableRejection(`${where}: ${problem}`);
  };
  if (route.model === '') reject('model is empty');
  if (route.stableVersion === '') reject('stable_version is empty');
  checkPercent(route.canaryWeightPercent, 'canary_weight_percent', reject);
  if (route.canaryVersion === '' && route.canaryWeightPercent > 0) {
    reject(`canary_weight_percent is ${route.canaryWeightPercent} but there is no canary_version`);
  }
  const shadows = route.shadows.map((shadow, shadowIndex) => {
    if (shadow.version === '') reject(`shadows[${shadowIndex}].version is empty`);
    checkPercent(shadow.samplePercent, `shadows[${shadowIndex}].sample_percent`, reject);
    return { version: shadow.version, samplePercent: shadow.samplePercent };
  });
  const overrides = new Map<string, string>();
  for (const [overrideIndex, override] of route.tenantOverrides.entries()) {
    const name = `tenant_overrides[${overrideIndex}]`;
    if (override.tenant === '') reject(`${name}.tenant is empty`);
    if (override.version === '') reject(`${name}.version is empty`);
    if (overrides.has(override.tenant)) reject(`tenant '${override.tenant}' is overridden twice`);
    overrides.set(override.tenant, override.version);
  }
  return {
    model: route.model,
    deploymentRevision: route.deploymentRevision,
    stableVersion: route.stableVersion,
    canaryVersion: route.canaryVersion,
    canaryPoints: Math.round(route.canaryWeightPercent * (POINTS / 100)),
    shadows,
    sticky: parseStickyKey(route.stickyKey, reject),
    overrides,
  };
}

function checkPercent(value: number, name: string, reject: (problem: string) => never): void {
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    reject(`${name} is ${value}, not within 0..100`);
  }
}

function parseStickyKey(key: string, reject: (problem: string) => never): StickyKey {
  if (key === '') return { kind: 'none' };
  if (key === 'tenant') return { kind: 'tenant' };
  if (key.startsWith('header:')) {
    // Header and metadata names are case-insensitive; CallContext.header takes lower case.
    const name = key.slice('header:'.length).toLowerCase();
    if (HEADER_NAME.test(name)) return { kind: 'header', name };
  }
  return reject(`sticky_key '${key}' is not '', 'tenant' or 'header:<name>'`);
}

function checkServed(route: CompiledRoute, served: ServedVersionLookup): void {
  const named: [string, string][] = [['stable_version', route.stableVersion]];
  if (route.canaryVersion !== '') named.push(['canary_version', route.canaryVersion]);
  route.shadows.forEach((shadow, index) => named.push([`shadows[${index}]`, shadow.version]));
  for (const [tenant, version] of route.overrides) named.push([`tenant '${tenant}'`, version]);
  for (const [field, version] of named) {
    try {
      served.resolve(route.model, version);
    } catch {
      throw new RoutingTableRejection(
        `route '${route.model}': ${field} names version '${version}', which the backend does not serve`,
      );
    }
  }
}
