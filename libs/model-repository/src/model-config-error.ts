/** A `config.pbtxt` that cannot be parsed or breaks a rule Triton enforces. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';

  constructor(
    /** The file (or other origin) the text came from. */
    readonly source: string,
    /** What is wrong, without the location prefix. */
    readonly detail: string,
    /** 1-based position of the offending token, when known. */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(
      line === undefined ? `${source}: ${detail}` : `${source}:${line}:${column ?? 1}: ${detail}`,
    );
  }
}
