import { generateKeyPair, createHash, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { decodeJwt, signRs256, verifyJws } from './jwt.js';
import { GRAPH_RESOURCE } from './token-endpoint.js';

/** Graph takes its app-id URI or its application id as audience. */
const GRAPH_AUDIENCES = new Set([GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, '00000003-0000-0000-c000-000000000000']);

export type TokenCheck = { ok: true; roles: string[] } | { ok: false; message: string };

/** The double's token-signing key: signs access tokens, and Graph checks them with it. */
export class AccessTokens {
  private constructor(private readonly privateKey: KeyObject, private readonly publicKey: KeyObject, readonly kid: string) {}

  static async create(): Promise<AccessTokens> {
    const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 27);
    return new AccessTokens(privateKey, publicKey, kid);
  }

  sign(claims: Record<string, unknown>, lifetimeSeconds = 3599): string {
    const now = Math.floor(Date.now() / 1000);
    return signRs256({ kid: this.kid }, { iat: now, nbf: now, exp: now + lifetimeSeconds, ...claims }, this.privateKey);
  }

  jwks(): Record<string, unknown> {
    return { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, ...this.publicKey.export({ format: 'jwk' }) }] };
  }

  /** What Graph checks on every call: signature, audience, lifetime; messages as Graph words them. */
  check(authorization: string | undefined): TokenCheck {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, message: 'Access token is empty.' };
    const jwt = decodeJwt(token);
    if (!jwt || jwt.header.alg !== 'RS256' || !verifyJws(jwt, this.publicKey)) return { ok: false, message: 'Access token validation failure.' };
    const { aud, exp, nbf, roles } = jwt.payload;
    if (typeof aud !== 'string' || !GRAPH_AUDIENCES.has(aud)) return { ok: false, message: 'Access token validation failure. Invalid audience.' };
    const now = Math.floor(Date.now() / 1000);
    if (typeof exp !== 'number' || now >= exp) return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
    if (typeof nbf === 'number' && now < nbf) return { ok: false, message: 'Lifetime validation failed, the token is not yet valid.' };
    return { ok: true, roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [] };
  }
}
