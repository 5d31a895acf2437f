import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { z } from 'zod';
import type { DirectoryUser } from '../../../directory/types.js';
import { inAnyGroup } from './policy.js';
import type { MfaContext, MfaProvider, MfaStart, MfaVerdict } from './provider.js';

/*
 * A second factor run by another service (a vendor's push or SMS gateway) behind an HTTP hook:
 * Gatehouse POSTs `begin` and `check` requests as JSON, signed with HMAC-SHA256 over the timestamp
 * and the body, and accepts only answers signed the same way, fresh, and naming the challenge it
 * asked about. The contract is docs/mfa-hook.md. Anything else — a timeout, a refused connection, a
 * status other than 200, a bad signature, unreadable JSON — is a failure: fail-closed, no token.
 */

export const TIMESTAMP_HEADER = 'x-gatehouse-timestamp';
export const SIGNATURE_HEADER = 'x-gatehouse-signature';
/** How far a signed timestamp may be from our clock (as Stripe's and Slack's webhooks allow). */
const MAX_SKEW_SECONDS = 300;
const MAX_ANSWER_BYTES = 16 * 1024;

/** `v1=` + hex HMAC-SHA256 of `${timestamp}.${body}` under the shared secret. */
export function hookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const beginAnswer = z.object({
  challengeId: z.string(),
  status: z.enum(['pending', 'denied']),
  wantsCode: z.boolean().default(false),
  message: z.string().max(300).optional(),
  state: z.string().max(2048).default(''),
});
const checkAnswer = z.object({ challengeId: z.string(), status: z.enum(['approved', 'denied', 'pending']) });
const hookState = z.object({ challengeId: z.string(), state: z.string() });

export interface ExternalHookOptions {
  url: string;
  secret: string;
  name: string;
  timeoutMs: number;
  groups: string[];
  caFile?: string | undefined;
}

export class ExternalHookProvider implements MfaProvider {
  readonly id = 'external';
  private readonly agent: Agent;

  constructor(
    private readonly opts: ExternalHookOptions,
    /** Why a call failed, for the operator's log: never the body (it names the user) nor the secret. */
    private readonly onFailure: (why: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.agent = new Agent({ connect: { timeout: opts.timeoutMs, ...(opts.caFile ? { ca: readFileSync(opts.caFile, 'utf8') } : {}) } });
  }

  async availableFor(user: DirectoryUser): Promise<boolean> {
    return this.opts.groups.length === 0 || inAnyGroup(user, this.opts.groups);
  }

  async begin(user: DirectoryUser, ctx: MfaContext): Promise<MfaStart> {
    const challengeId = randomUUID();
    const answer = await this.call({ type: 'begin', challengeId, user: who(user), relyingParty: ctx.relyingParty, clientIp: ctx.clientIp }, beginAnswer);
    if (!answer) return { ok: false, reason: 'unavailable' };
    if (answer.status === 'denied') return { ok: false, reason: 'denied' };
    return {
      ok: true,
      prompt: { provider: this.id, wantsCode: answer.wantsCode, message: answer.message },
      state: JSON.stringify({ challengeId, state: answer.state }),
    };
  }

  async verify(user: DirectoryUser, state: string, code: string | undefined, ctx: MfaContext): Promise<MfaVerdict> {
    let parsed;
    try {
      parsed = hookState.parse(JSON.parse(state));
    } catch {
      return { ok: false, reason: 'unavailable' };
    }
    const body = { type: 'check', challengeId: parsed.challengeId, state: parsed.state, user: who(user), relyingParty: ctx.relyingParty, clientIp: ctx.clientIp, ...(code ? { code: code.slice(0, 64) } : {}) };
    const answer = await this.call(body, checkAnswer);
    if (!answer) return { ok: false, reason: 'unavailable' };
    if (answer.status === 'approved') return { ok: true };
    return { ok: false, reason: answer.status };
  }

  /** One signed call; the answer when it is signed, fresh, about this challenge and well-formed, else undefined. */
  private async call<T extends { challengeId: string }>(request: { challengeId: string; [k: string]: unknown }, schema: z.ZodType<T>): Promise<T | undefined> {
    const body = JSON.stringify(request);
    const timestamp = String(Math.floor(this.now() / 1000));
    let res;
    let text;
    try {
      res = await fetch(this.opts.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: hookSignature(this.opts.secret, timestamp, body) },
        dispatcher: this.agent,
        redirect: 'error',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await readCapped(res.body, MAX_ANSWER_BYTES);
    } catch (err) {
      return this.fail(`${request.type as string}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : (err as Error).message}`);
    }
    if (res.status !== 200) return this.fail(`${request.type as string}: HTTP ${res.status}`);
    if (!/^application\/json\b/i.test(res.headers.get('content-type') ?? '')) return this.fail(`${request.type as string}: answer is not application/json`);
    if (text === undefined) return this.fail(`${request.type as string}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
    const ts = res.headers.get(TIMESTAMP_HEADER) ?? '';
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Number(ts) - this.now() / 1000) > MAX_SKEW_SECONDS) return this.fail(`${request.type as string}: answer timestamp missing or off by more than ${MAX_SKEW_SECONDS} s`);
    const given = Buffer.from(res.headers.get(SIGNATURE_HEADER) ?? '');
    const expected = Buffer.from(hookSignature(this.opts.secret, ts, text));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return this.fail(`${request.type as string}: answer signature missing or wrong`);
    let answer;
    try {
      answer = schema.safeParse(JSON.parse(text));
    } catch {
      return this.fail(`${request.type as string}: answer is not JSON`);
    }
    if (!answer.success) return this.fail(`${request.type as string}: answer does not follow the contract`);
    if (answer.data.challengeId !== request.challengeId) return this.fail(`${request.type as string}: answer names another challenge`);
    return answer.data;
  }

  private fail(why: string): undefined {
    this.onFailure(`MFA hook ${this.opts.name}: ${why}`);
    return undefined;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function who(user: DirectoryUser) {
  return { upn: user.upn, objectGuid: user.objectGuid, samAccountName: user.samAccountName, ...(user.displayName ? { displayName: user.displayName } : {}) };
}

/** The body as text, or undefined past `max` bytes (a hostile service must not fill our memory). */
async function readCapped(body: AsyncIterable<Uint8Array> | null, max: number): Promise<string | undefined> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
