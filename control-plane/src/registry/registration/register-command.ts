import { type DatasetReference } from '../../lineage/lineage.service';
import { type ParentRelation } from '../entities/model-version.entity';

/** Where the artifact of a new version comes from: exactly one of the two. */
export type ArtifactSource = { uploadId: string } | { mlflow: string };

/** Everything a registration may say about the new version; only `model` and `source` are required. */
export interface RegisterModelVersionCommand {
  model: string;
  /** For a model registered for the first time; e.g. `object-detection`. */
  task?: string;
  source: ArtifactSource;
  expectedSha256?: string;
  /** config.pbtxt; when absent the latest version's config is kept, or one is derived from the ONNX file. */
  config?: string;
  labels?: string[];
  description?: string;
  modelCard?: string;
  tags?: Record<string, string>;
  /** A version of the same model this one was made from. */
  parent?: { version: string; relation: ParentRelation };
  dataset?: DatasetReference;
  codeRevision?: string;
}
