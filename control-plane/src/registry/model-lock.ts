import { type EntityManager } from 'typeorm';
import { ControlPlaneFailure, shown } from '../errors/control-plane-error';
import { ModelEntity } from './entities/model.entity';

/**
 * The model's row, locked until the transaction ends: every change to one model (registrations,
 * aliases, cards, what is served) queues behind the others, on PGlite and on Postgres.
 */
export async function lockModel(manager: EntityManager, name: string): Promise<ModelEntity> {
  const model = await manager
    .getRepository(ModelEntity)
    .findOne({ where: { name }, lock: { mode: 'pessimistic_write' } });
  if (model === null) {
    throw new ControlPlaneFailure('NOT_FOUND', `model ${shown(name)} is not registered`, {
      argument: 'model',
    });
  }
  return model;
}

/** As lockModel, registering the model first when it is new (its first version). */
export async function lockOrCreateModel(
  manager: EntityManager,
  name: string,
  task?: string,
): Promise<ModelEntity> {
  await manager
    .createQueryBuilder()
    .insert()
    .into(ModelEntity)
    .values({ name, ...(task !== undefined ? { task } : {}) })
    .orIgnore()
    .execute();
  return lockModel(manager, name);
}
