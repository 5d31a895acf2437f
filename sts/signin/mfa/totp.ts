import { Secret, TOTP } from 'otpauth';
import type { DirectoryUser } from '../../../directory/types.js';
import { deriveKey, open, seal } from '../../../keys/sealing.js';
import type { MfaStore } from '../../../store/types.js';
import type { MfaProvider, MfaStart, MfaVerdict } from './provider.js';

// RFC 6238's defaults, the only parameters Microsoft and Google Authenticator all honour.
const PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const CODE = /^\d{6}$/;

/** A new authenticator for the enrolment page: the secret (base32, also typed by hand) and its otpauth:// URI (the QR code). */
export interface NewAuthenticator {
  secret: string;
  uri: string;
}

const secretKey = (kek: Buffer) => deriveKey(kek, 'totp secrets');
const userAad = (userKey: string) => Buffer.from(userKey);

/**
 * `keys rekey`: every TOTP secret re-sealed under the new key-encryption key, in one store
 * transaction. A secret that already opens under the new key (a rekey run again after a failure)
 * is left as it is; one that opens under neither is an error, and nothing is changed.
 */
export async function resealTotpSecrets(store: MfaStore, oldKek: Buffer, newKek: Buffer): Promise<number> {
  const [from, to] = [secretKey(oldKek), secretKey(newKek)];
  const changes = [];
  for (const e of await store.listTotp()) {
    const plain = open(from, e.sealedSecret, userAad(e.userKey));
    if (plain) changes.push({ userKey: e.userKey, sealedSecret: seal(to, plain, userAad(e.userKey)) });
    else if (!open(to, e.sealedSecret, userAad(e.userKey))) throw new Error(`the TOTP secret of ${e.upn} opens under neither key-encryption key`);
  }
  await store.resealTotp(changes);
  return changes.length;
}

/**
 * Authenticator-app codes (RFC 6238 TOTP through `otpauth`). The secret is sealed in the store
 * under its own key with the user's objectGUID as associated data, so a row copied to another user
 * does not open. Every accepted code moves the user's last used step forward in one store update:
 * a code (or an older one) is never accepted twice, on any node (RFC 6238 §5.2).
 */
export class TotpProvider implements MfaProvider {
  readonly id = 'totp';
  private readonly key: Buffer;

  constructor(
    private readonly deps: {
      store: MfaStore;
      kek: Buffer;
      issuer: string;
      driftSteps: number;
      now?: () => number;
      /** A stored secret that does not open (another key-encryption key): told to the operator's log. */
      onFailure?: (why: string) => void;
    },
  ) {
    this.key = secretKey(deps.kek);
  }

  async availableFor(user: DirectoryUser): Promise<boolean> {
    return (await this.deps.store.getTotp(user.objectGuid)) !== undefined;
  }

  async begin(): Promise<MfaStart> {
    return { ok: true, prompt: { provider: this.id, wantsCode: true }, state: '' };
  }

  async verify(user: DirectoryUser, _state: string, code: string | undefined): Promise<MfaVerdict> {
    const enrolment = await this.deps.store.getTotp(user.objectGuid);
    if (!enrolment) return { ok: false, reason: 'not-enrolled' };
    const secret = open(this.key, enrolment.sealedSecret, userAad(user.objectGuid));
    if (!secret) {
      // Fail-closed with a page, not a 500: the operator must fix the key (or reset the user).
      this.deps.onFailure?.(`TOTP secret of user ${user.objectGuid} does not open under this key-encryption key (run gatehouse keys rekey, or gatehouse mfa reset)`);
      return { ok: false, reason: 'unavailable' };
    }
    const step = this.matchingStep(secret.toString('utf8'), code);
    if (step === undefined) return { ok: false, reason: 'wrong-code' };
    return (await this.deps.store.useTotpStep(user.objectGuid, step)) ? { ok: true } : { ok: false, reason: 'replayed-code' };
  }

  /** A fresh 160-bit secret (RFC 4226 §4 recommends 160) for the user to scan. */
  newAuthenticator(user: DirectoryUser): NewAuthenticator {
    const secret = new Secret({ size: 20 }).base32;
    return { secret, uri: this.totp(secret, user.upn).toString() };
  }

  /** The otpauth:// URI of a secret being enrolled (the page is shown again after a wrong code). */
  uri(secret: string, user: DirectoryUser): string {
    return this.totp(secret, user.upn).toString();
  }

  /**
   * Stores the authenticator once the user proves it with a current code; that code's step is the
   * last used one. False when the code is wrong; 'taken' when the user enrolled meanwhile elsewhere.
   */
  async enrol(user: DirectoryUser, secret: string, code: string | undefined): Promise<MfaVerdict> {
    const step = this.matchingStep(secret, code);
    if (step === undefined) return { ok: false, reason: 'wrong-code' };
    const added = await this.deps.store.addTotp({
      userKey: user.objectGuid,
      upn: user.upn,
      sealedSecret: seal(this.key, Buffer.from(secret, 'utf8'), userAad(user.objectGuid)),
      lastStep: step,
      createdAt: new Date(this.now()),
    });
    return added ? { ok: true } : { ok: false, reason: 'denied' };
  }

  /** The time step the code belongs to, within ±driftSteps of now, or undefined. */
  private matchingStep(secret: string, code: string | undefined): number | undefined {
    const token = code?.replace(/\s/g, '');
    if (!token || !CODE.test(token)) return undefined;
    const totp = this.totp(secret, '');
    const timestamp = this.now();
    const delta = totp.validate({ token, timestamp, window: this.deps.driftSteps });
    return delta === null ? undefined : totp.counter({ timestamp }) + delta;
  }

  private totp(secret: string, label: string): TOTP {
    return new TOTP({ issuer: this.deps.issuer, label, ...PARAMS, secret: Secret.fromBase32(secret) });
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}
