import type { Config } from '../../config/load.js';
import { signingKeyOptions } from '../../keys/from-config.js';
import { generateSigningKey } from '../../keys/signing-keys.js';
import { openStore } from '../../store/index.js';
import type { KeyRecord } from '../../store/types.js';

/** The key store of a running test Gatehouse, opened beside it as an operator's CLI would. */
export async function keysFromConfig(config: Config) {
  const store = openStore(config);
  return {
    async active(): Promise<KeyRecord> {
      const active = (await store.keys.list('signing')).find((k) => k.status === 'active');
      if (!active) throw new Error('no active signing key');
      return active;
    },
    generateNext: () => generateSigningKey(store, signingKeyOptions(config), 'next'),
    close: () => store.close(),
  };
}
