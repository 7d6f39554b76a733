import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { ModelEntity } from '../registry/entities/model.entity';

/** Every entity the migrations in ./migrations must create; the schema-drift test checks both agree. */
export const CONTROL_PLANE_ENTITIES = [ModelEntity, ModelVersionEntity];
