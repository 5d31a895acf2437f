import type { Config } from '../config/load.js';
import { parseKeyEncryptionKey } from './keystore.js';
import type { SigningKeyOptions } from './signing-keys.js';

export function signingKeyOptions(config: Pick<Config, 'keys' | 'server'>): SigningKeyOptions {
  return {
    kek: parseKeyEncryptionKey(config.keys.keyEncryptionKey),
    subject: `CN=ADFS Signing - ${new URL(config.server.publicUrl).hostname}`,
    validityDays: config.keys.signingValidityDays,
    keyBits: config.keys.signingKeyBits,
  };
}
