/**
 * The child side of authentication.e2e.spec.ts (the app cannot load inside Jest: some of its
 * dependencies are ES modules): the real control plane with a test-only probe module (a resolver
 * and a REST route marked @RequireRole('operator')), on a free loopback port; it stores a viewer
 * and an operator key and reports them with its address over IPC.
 */
import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { newApiKeyRecord, type Caller } from '@auth';
import {
  CONTROL_PLANE_API_KEY_STORE,
  type ControlPlaneApiKeyStore,
} from '../../src/auth/api-key-store.provider';
import { CurrentCaller, RequestId } from '../../src/auth/identity.decorators';
import { RequireRole } from '../../src/auth/require-role.decorator';
import { loadControlPlaneConfig } from '../../src/config/control-plane-config';
import { createControlPlaneApp } from '../../src/control-plane-app';
import { DataSource } from 'typeorm';

@ObjectType()
class Probe {
  @Field() subject!: string;
  @Field() requestId!: string;
}

/** A test-only resolver: there is no mutation yet that needs `operator`. */
@Resolver()
class OperatorProbeResolver {
  @Query(() => Probe)
  @RequireRole('operator')
  operatorProbe(@CurrentCaller() caller: Caller, @RequestId() requestId: string): Probe {
    return { subject: caller.subject, requestId };
  }
}

/** A test-only REST route, as the upload route will use it. */
@Controller('probe')
class OperatorProbeController {
  @Get()
  @RequireRole('operator')
  probe(@CurrentCaller() caller: Caller): { subject: string } {
    return { subject: caller.subject };
  }
}

@Module({ providers: [OperatorProbeResolver], controllers: [OperatorProbeController] })
class ProbeModule {}

export interface ProbeReady {
  host: string;
  port: number;
  keys: { viewer: string; operator: string };
  /** The key table's columns in the embedded database, as the migrations made them. */
  apiKeyColumns: string[];
}

async function childMain(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  const app = await createControlPlaneApp(config, {
    logger: ['error'],
    extraModules: [ProbeModule],
  });
  await app.listen({ port: 0, host: config.host });
  const store = app.get<ControlPlaneApiKeyStore>(CONTROL_PLANE_API_KEY_STORE);
  const keys = { viewer: '', operator: '' };
  for (const role of ['viewer', 'operator'] as const) {
    const { record, key } = await newApiKeyRecord({ tenant: 'team-a', scopes: [role] });
    await store.insert(record);
    keys[role] = key;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const columns: { column_name: string }[] = await app.get(DataSource).query(
    `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'gateway_api_keys' AND table_schema = current_schema() ORDER BY column_name`,
  );
  const ready: ProbeReady = {
    host: config.host,
    port,
    keys,
    apiKeyColumns: columns.map((row) => row.column_name),
  };
  process.send?.(ready);
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  childMain().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
