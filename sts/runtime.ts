import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { directoryFromConfig } from '../directory/from-config.js';
import type { Directory } from '../directory/types.js';
import { Audit } from '../health/audit.js';
import { signingKeyOptions } from '../keys/from-config.js';
import { deriveKey } from '../keys/sealing.js';
import type { Signer } from '../keys/signer.js';
import { ensureActiveSigningKey, signerFor } from '../keys/signing-keys.js';
import { openStore, type Store } from '../store/index.js';

/** Everything a request handler may need, built once at start from the config. */
export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  audit: Audit;
  directory: Directory;
  signer: Signer;
  /** `keys.keyEncryptionKey`; every purpose's key (private keys, cookies, CSRF, pseudonyms) is derived from it (keys/sealing.ts). */
  kek: Buffer;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, log: Logger): Promise<Runtime> {
  const store = openStore(config);
  try {
    const keyOpts = signingKeyOptions(config);
    const signingKey = await ensureActiveSigningKey(store, keyOpts);
    const directory = await directoryFromConfig(config, log);
    return {
      config,
      log,
      store,
      audit: new Audit(store.audit, log.child({ part: 'audit' }), deriveKey(keyOpts.kek, 'audit pseudonyms')),
      directory,
      signer: signerFor(signingKey, keyOpts.kek),
      kek: keyOpts.kek,
      async close() {
        await directory.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
