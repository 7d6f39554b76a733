import { type EntityManager, LessThan } from 'typeorm';
import { sameSpec, specOf } from './deployment-spec';
import { DeploymentRevisionEntity } from './entities/deployment-revision.entity';

/**
 * The previous stable revision (KServe's PreviousRolledoutRevision): the newest revision before
 * the active one that runs no canary and routes differently from it; null when there is none.
 * Revisions are read newest first, a page at a time, so a long history is not loaded whole.
 */
export async function previousStableRevision(
  manager: EntityManager,
  active: DeploymentRevisionEntity,
): Promise<DeploymentRevisionEntity | null> {
  const activeSpec = specOf(active);
  const revisions = manager.getRepository(DeploymentRevisionEntity);
  let before = active.number;
  for (;;) {
    const page = await revisions.find({
      where: { deploymentId: active.deploymentId, number: LessThan(before) },
      order: { number: 'DESC' },
      take: 50,
    });
    const found = page.find(
      (row) => row.canaryVersion === null && !sameSpec(specOf(row), activeSpec),
    );
    if (found !== undefined) return found;
    if (page.length < 50) return null;
    before = page[page.length - 1].number;
  }
}
