import type { Config } from '../config/load.js';
import { describeCertificate } from '../keys/certificate.js';
import { unsealPrivateKey } from '../keys/keystore.js';
import type { Logger } from 'pino';
import { openStore } from '../store/index.js';
import { directoryFromConfig } from '../directory/from-config.js';
import { signingKeyOptions } from '../keys/from-config.js';
import { daysLeft } from '../keys/validity.js';

export interface Check {
  part: string;
  ok: boolean;
  detail: string;
  warning?: boolean;
}

/** Checks what a running server depends on, each named so an operator knows where to look. */
export async function runDoctor(config: Config, log: Logger, now = new Date()): Promise<Check[]> {
  const checks: Check[] = [{ part: 'config', ok: true, detail: config.file }];
  let store;
  try {
    store = openStore(config);
    checks.push({ part: 'store', ok: true, detail: `${config.store.kind} ${config.store.sqlitePath}` });
  } catch (err) {
    checks.push({ part: 'store', ok: false, detail: (err as Error).message });
  }

  try {
    const directory = await directoryFromConfig(config, log);
    try {
      for (const dc of await directory.checkHealth()) {
        checks.push({ part: `directory ${dc.dc}`, ok: dc.ok, detail: dc.ok ? `service bind ok in ${dc.ms} ms` : (dc.error ?? 'unreachable') });
      }
    } finally {
      await directory.close();
    }
  } catch (err) {
    checks.push({ part: 'directory', ok: false, detail: (err as Error).message });
  }

  if (store) {
    try {
      const kek = signingKeyOptions(config).kek;
      const active = (await store.keys.list('signing')).filter((k) => k.status === 'active');
      if (active.length === 0) checks.push({ part: 'signing certificate', ok: false, detail: 'no active signing key (start the server once or run `gatehouse keys generate`)' });
      for (const k of active) {
        const info = describeCertificate(k.certificateDer);
        const days = daysLeft(info.notAfter, now);
        unsealPrivateKey(k.sealedPrivateKey, kek, k.id);
        const valid = info.notBefore <= now && days >= 0;
        checks.push({
          part: 'signing certificate',
          ok: valid,
          warning: valid && days < config.keys.warnDaysBeforeExpiry,
          detail: `${k.id} ${info.subject}, ${valid ? `${days} days left` : 'not valid now'}`,
        });
      }
    } catch (err) {
      checks.push({ part: 'signing certificate', ok: false, detail: (err as Error).message });
    } finally {
      await store.close();
    }
  }
  return checks;
}
