import { loadConfig } from '../config/load.js';
import { describeCertificate } from '../keys/certificate.js';
import { signingKeyOptions } from '../keys/from-config.js';
import { generateSigningKey } from '../keys/signing-keys.js';
import { daysLeft } from '../keys/validity.js';
import { openStore } from '../store/index.js';

export async function keysListCommand(o: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfig(o.config);
  const store = openStore(config);
  try {
    const rows = (await store.keys.list()).map((k) => {
      const c = describeCertificate(k.certificateDer);
      return { thumbprint: k.id, use: k.use, status: k.status, subject: c.subject, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), daysLeft: daysLeft(c.notAfter, new Date()) };
    });
    if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) process.stdout.write('no keys yet: start the server once or run `gatehouse keys generate`\n');
    else for (const r of rows) process.stdout.write(`${r.thumbprint}  ${r.use.padEnd(10)} ${r.status.padEnd(7)} ${r.notAfter.slice(0, 10)} (${r.daysLeft} days)  ${r.subject}\n`);
  } finally {
    await store.close();
  }
}

export async function keysGenerateCommand(o: { config: string }): Promise<void> {
  const config = await loadConfig(o.config);
  const store = openStore(config);
  try {
    const hasActive = (await store.keys.list('signing')).some((k) => k.status === 'active');
    const rec = await generateSigningKey(store, signingKeyOptions(config), hasActive ? 'next' : 'active');
    process.stdout.write(`generated ${rec.id} (${rec.status})\n`);
  } finally {
    await store.close();
  }
}
