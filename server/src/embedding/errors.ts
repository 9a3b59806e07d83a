// The one error a person sees when no embedding model can be had: what, where we looked, what to do.

/** No usable model: the message names the model, every place looked and the remedies; no stack is meant for the user. */
export class EmbedderUnavailableError extends Error {
  constructor(
    readonly provider: string,
    readonly model: string,
    readonly looked: string[],
    readonly remedy: string,
    readonly reason?: string,
  ) {
    super(
      `The ${provider} embedding model "${model}" is not available` +
        (reason ? ` (${reason})` : "") +
        `. Looked in: ${looked.length ? looked.join(", ") : "nowhere"}. ` +
        `${remedy} Or set EMBEDDING_PROVIDER=none for lexical-only search.`,
    );
    this.name = "EmbedderUnavailableError";
  }
}
