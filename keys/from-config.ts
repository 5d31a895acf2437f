import type { Config } from '../config/load.js';
import type { KeyUse, Store } from '../store/types.js';
import { parseKeyEncryptionKey } from './keystore.js';
import { Rollover, type EntraLink } from './rollover.js';
import type { SigningKeyOptions } from './signing-keys.js';

/** AD FS's names for its self-signed certificates: "ADFS Signing - host", "ADFS Encryption - host". */
export function subjectFor(config: Pick<Config, 'server'>, use: KeyUse): string {
  return `CN=ADFS ${use === 'signing' ? 'Signing' : 'Encryption'} - ${new URL(config.server.publicUrl).hostname}`;
}

export function signingKeyOptions(config: Pick<Config, 'keys' | 'server'>): SigningKeyOptions {
  return {
    kek: parseKeyEncryptionKey(config.keys.keyEncryptionKey),
    subject: subjectFor(config, 'signing'),
    validityDays: config.keys.signingValidityDays,
    keyBits: config.keys.signingKeyBits,
  };
}

/** The rollover the config describes, for the server's key cycle and the CLI's promotions alike. */
export function rolloverFor(config: Pick<Config, 'keys' | 'server'>, store: Store, entra: EntraLink, now: () => Date = () => new Date()): Rollover {
  const { kek, validityDays, keyBits } = signingKeyOptions(config);
  const { autoRollover, generateDaysBeforeExpiry, promoteDaysAfterGeneration } = config.keys;
  return new Rollover({
    store,
    entra,
    now,
    policy: { autoRollover, generateDaysBeforeExpiry, promoteDaysAfterGeneration, generate: { kek, validityDays, keyBits }, subject: (use) => subjectFor(config, use) },
  });
}
