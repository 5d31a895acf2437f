import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SealedValues } from '../../../keys/sealing.js';
import type { CounterStore } from '../../../store/types.js';
import type { SignInRequest } from '../types.js';

/**
 * Where a sign-in stands between the first factor and the second: who passed the first factor, how,
 * and the challenge under way. It travels in the MFA page's form, so it is sealed (AES-GCM, its own
 * key), bound to the request it was made for, short-lived, and good for one post (a replay cache
 * entry per flow id): a captured page cannot be posted again, nor used for another relying party.
 */
const flowState = z.object({
  id: z.string(),
  exp: z.number(),
  /** Hash of the request it belongs to (protocol, trust, reply URL, requested methods). */
  bind: z.string(),
  objectGuid: z.string(),
  methods: z.array(z.string()),
  instant: z.string(),
  insideCorporateNetwork: z.boolean(),
  persistent: z.boolean(),
  /** The first factor was the SSO session: MFA steps that session up rather than starting one. */
  fromSession: z.boolean(),
  reason: z.string(),
  provider: z.string(),
  state: z.string(),
  /** How the challenge page asks (kept for the page shown again after a wrong code). */
  prompt: z.object({ wantsCode: z.boolean(), message: z.string().optional() }),
  attempts: z.number().int(),
  /** TOTP enrolment: the new secret (base32), stored only once the user proves a code from it. */
  enrolSecret: z.string().optional(),
});
export type FlowState = z.infer<typeof flowState>;
export type FlowInput = Omit<FlowState, 'id' | 'exp' | 'bind'>;

export class MfaFlows {
  private readonly sealed: SealedValues;

  constructor(
    kek: Buffer,
    private readonly replay: CounterStore,
    private readonly lifetimeMs: number,
  ) {
    this.sealed = new SealedValues(kek, 'mfa flow');
  }

  issue(req: SignInRequest, input: FlowInput, now = Date.now()): string {
    return this.sealed.seal({ ...input, id: randomBytes(16).toString('base64url'), exp: now + this.lifetimeMs, bind: binding(req) } satisfies FlowState);
  }

  /** The flow once: undefined when tampered with, expired, made for another request, or already posted. */
  async take(req: SignInRequest, token: unknown, now = Date.now()): Promise<FlowState | undefined> {
    if (typeof token !== 'string' || token.length > 8192) return undefined;
    const parsed = flowState.safeParse(this.sealed.open(token));
    if (!parsed.success) return undefined;
    const flow = parsed.data;
    if (flow.exp <= now || flow.bind !== binding(req)) return undefined;
    return (await this.replay.useOnce(`mfa-flow:${flow.id}`, new Date(flow.exp), new Date(now))) ? flow : undefined;
  }
}

function binding(req: SignInRequest): string {
  return createHash('sha256').update(JSON.stringify([req.protocol, req.trust.identifier, req.returnTo, req.requestedMethods])).digest('base64url');
}
