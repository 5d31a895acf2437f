/**
 * Graph answered with an error status: the one reading of Graph's error body
 * `{"error":{"code","message",…}}` (ENTRA.md §8.3), for single calls and batch items alike.
 */
export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, readonly detail: string, readonly body: unknown) {
    super(`Graph ${status} ${code}: ${detail}`);
  }

  static from(res: { status: number; body: unknown }): GraphError {
    const e = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    // No error object (a proxy's HTML page, say): the start of the body is all there is to show.
    return new GraphError(res.status, e?.code ?? 'unknown', e ? (e.message ?? '') : String(res.body).slice(0, 200), res.body);
  }

  /** `status code: message`, how a failed batch item is recorded and reported. */
  get summary(): string {
    return `${this.status} ${this.code}: ${this.detail}`;
  }
}
