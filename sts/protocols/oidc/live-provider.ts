import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { SigningJwk, SigningJwks } from '../../../keys/jwks.js';

/** The provider's own session cookie: dropped from an authorization request once Gatehouse's SSO session is over. */
export const PROVIDER_SESSION_COOKIE = 'gh_oidc_session';

export interface LiveProvider {
  provider: Provider;
  /** The provider as a Node request handler (koa's callback), made once per provider. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * The provider with the current signing keys. oidc-provider takes its keys at construction, so
 * when the published set changes (a next key generated, a promotion on any node, a previous key
 * expired) a new provider is built; keys change rarely, and everything a provider holds between
 * requests is in the store, so nothing is lost. The set is re-read at most every `refreshMs`
 * (keys.refreshSeconds), on the request that finds it stale.
 */
export class LiveOidcProvider {
  private current: (LiveProvider & { version: string; checkedAt: number }) | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly build: (keys: SigningJwk[]) => Promise<Provider>,
    private readonly loadKeys: () => Promise<SigningJwks>,
    private readonly refreshMs: number,
  ) {}

  async get(now = Date.now()): Promise<LiveProvider> {
    if (!this.current || now - this.current.checkedAt >= this.refreshMs) {
      this.reloading ??= this.reload(now).finally(() => {
        this.reloading = undefined;
      });
      await this.reloading;
    }
    return this.current!;
  }

  private async reload(now: number): Promise<void> {
    const jwks = await this.loadKeys();
    if (this.current?.version === jwks.version) {
      this.current.checkedAt = now;
      return;
    }
    const provider = await this.build(jwks.keys);
    const callback = provider.callback();
    this.current = { provider, handle: async (req, res) => callback(req, res), version: jwks.version, checkedAt: now };
  }
}
