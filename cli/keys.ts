import { readFile, writeFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../config/load.js';
import { entraLinkFromConfig } from '../federation/certificates.js';
import { derToPem } from '../keys/certificate.js';
import { rolloverFor, signingKeyOptions, subjectFor } from '../keys/from-config.js';
import { readPem, readPfx } from '../keys/import.js';
import { parseKeyEncryptionKey } from '../keys/keystore.js';
import { generateKey, KeyRefused, rekey, retireKey, storeKey } from '../keys/lifecycle.js';
import { resealTotpSecrets } from '../sts/signin/mfa/totp.js';
import { checkEntraKnows, type EntraLink } from '../keys/rollover.js';
import { keysReport, type KeyRow } from '../keys/status.js';
import { openStore, type Store } from '../store/index.js';
import type { KeyStatus, KeyUse } from '../store/types.js';

/** Runs `fn` with the config's store and Entra link open, closing both whatever happens. */
async function withKeys<T>(configFile: string, fn: (c: { config: Config; store: Store; link: EntraLink }) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const store = openStore(config);
  const entra = await entraLinkFromConfig(config);
  try {
    return await fn({ config, store, link: entra.link });
  } catch (err) {
    // A refusal is the operator's to fix: one line, exit code 1 (cli/main.ts).
    if (err instanceof KeyRefused) throw new Error(err.message);
    throw err;
  } finally {
    await entra.close();
    await store.close();
  }
}

const report = (c: { config: Config; store: Store; link: EntraLink }) => keysReport(c.store, c.link, c.config.keys, new Date(), c.config.keys.warnDaysBeforeExpiry);

function entraColumn(row: KeyRow): string {
  if (!row.entra) return '';
  return row.entra.map((d) => `${d.domain}:${d.knows ? 'yes' : 'NO'}`).join(' ');
}

function printRows(rows: KeyRow[]): void {
  if (rows.length === 0) return void process.stdout.write('no keys yet: start the server once or run `gatehouse keys generate`\n');
  process.stdout.write(`${'thumbprint'.padEnd(40)}  ${'role'.padEnd(10)} ${'state'.padEnd(8)} ${'origin'.padEnd(9)} ${'not before'.padEnd(10)} ${'not after'.padEnd(10)} ${'days'.padStart(5)}  Entra knows it\n`);
  for (const r of rows) {
    process.stdout.write(`${r.thumbprint}  ${r.role.padEnd(10)} ${r.state.padEnd(8)} ${r.origin.padEnd(9)} ${r.notBefore.slice(0, 10)} ${r.notAfter.slice(0, 10)} ${String(r.daysLeft).padStart(5)}  ${entraColumn(r)}\n`);
  }
}

/** Get-AdfsCertificate. */
export async function keysListCommand(o: { config: string; json?: boolean }): Promise<void> {
  const { keys } = await withKeys(o.config, report);
  if (o.json) process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
  else printRows(keys);
}

/** The certificates, when the rollover acts next, Entra's state; exit 1 when something needs the operator. */
export async function keysStatusCommand(o: { config: string; json?: boolean }): Promise<void> {
  const r = await withKeys(o.config, report);
  if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    printRows(r.keys);
    process.stdout.write(`automatic rollover: ${r.rollover.autoRollover ? 'on' : 'off'}${r.rollover.generateNextAt ? `; next certificate generated from ${r.rollover.generateNextAt.slice(0, 10)}` : ''}${r.rollover.promoteNextAt ? `; next certificate promoted from ${r.rollover.promoteNextAt.slice(0, 10)}` : ''}\n`);
    if (r.entraPush) process.stdout.write(`Entra last written ${r.entraPush.at}: ${r.entraPush.ok ? 'ok' : `FAILED (${r.entraPush.error ?? ''})`}\n`);
    process.stdout.write(r.entraInStep === undefined ? 'Entra: not checked (no graph: app registration, or Entra is not a relying party)\n' : `Entra in step: ${r.entraInStep ? 'yes' : 'NO'}\n`);
    for (const p of r.problems) process.stdout.write(`problem: ${p}\n`);
  }
  if (r.problems.length) process.exitCode = 1;
}

const parseUse = (v: string | undefined): KeyUse => {
  if (v === undefined || v === 'signing' || v === 'decrypting') return v ?? 'signing';
  throw new Error(`--role must be signing or decrypting, not ${v}`);
};
const parseState = (v: string | undefined): KeyStatus | undefined => {
  if (v === undefined || v === 'next' || v === 'active') return v;
  throw new Error(`--state must be next or active, not ${v}`);
};

/** A new certificate's state when none is asked for: next when there is an active one, else active. */
async function defaultState(store: Store, use: KeyUse, asked: KeyStatus | undefined): Promise<KeyStatus> {
  return asked ?? ((await store.keys.list(use)).some((k) => k.status === 'active') ? 'next' : 'active');
}

/** Add-AdfsCertificate with a generated one (AD FS makes them self-signed too). */
export async function keysGenerateCommand(o: { config: string; role?: string; state?: string; subject?: string; days?: string; bits?: string; force?: boolean }): Promise<void> {
  await withKeys(o.config, async ({ config, store, link }) => {
    const use = parseUse(o.role);
    const base = signingKeyOptions(config);
    const bits = o.bits === undefined ? base.keyBits : Number(o.bits);
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new Error('--bits must be 2048, 3072 or 4096');
    const days = o.days === undefined ? base.validityDays : Number(o.days);
    if (!Number.isInteger(days) || days < 1) throw new Error('--days must be a whole number of days');
    const subject = o.subject ?? subjectFor(config, use);
    const state = await defaultState(store, use, parseState(o.state));
    // A fresh certificate straight to active: Entra cannot know it, so only where Entra need not (or --force).
    if (state === 'active' && use === 'signing' && !o.force && link.kind !== 'none' && (await store.keys.list('signing')).length > 0) {
      throw new KeyRefused('a new certificate cannot become active before Entra knows it: generate it as next (the default), or use --force');
    }
    const rec = await generateKey(store, { kek: base.kek, use, subject, validityDays: days, keyBits: bits }, state);
    process.stdout.write(`generated ${rec.id} (${rec.use}, ${rec.status})\n`);
  });
}

/** Add-AdfsCertificate -Thumbprint with a PFX (or PEM certificate and key) the operator brings. */
export async function keysImportCommand(file: string, o: { config: string; key?: string; passwordEnv?: string; role?: string; state?: string; force?: boolean }): Promise<void> {
  // The password only from the environment: never in argv, where `ps` and shell history see it.
  const password = o.passwordEnv === undefined ? undefined : process.env[o.passwordEnv];
  if (o.passwordEnv !== undefined && password === undefined) throw new Error(`environment variable ${o.passwordEnv} is not set`);
  const imported = o.key === undefined ? readPfx(await readFile(file), password ?? '') : readPem(await readFile(file, 'utf8'), await readFile(o.key, 'utf8'), password);
  await withKeys(o.config, async ({ config, store, link }) => {
    const use = parseUse(o.role);
    const status = await defaultState(store, use, parseState(o.state));
    if (status === 'active') await checkEntraKnows({ id: 'the imported certificate', use, certificateDer: imported.certificateDer }, link, o.force === true);
    const rec = await storeKey(store, { kek: signingKeyOptions(config).kek, use, status, origin: 'imported', certificateDer: imported.certificateDer, privateKey: imported.privateKey });
    const chain = imported.certificates > 1 ? `; the file's other ${imported.certificates - 1} certificate(s), its chain, are not needed (ENTRA.md §1.2) and were not stored` : '';
    process.stdout.write(`imported ${rec.id} (${rec.use}, ${rec.status})${chain}\n`);
  });
}

/** The public certificate, PEM or DER, to a file or stdout (what a partner or Entra is given). */
export async function keysExportCommand(id: string, o: { config: string; format?: string; out?: string }): Promise<void> {
  const format = o.format ?? 'pem';
  if (format !== 'pem' && format !== 'der') throw new Error('--format must be pem or der');
  const record = await withKeys(o.config, ({ store }) => store.keys.get(id.toUpperCase()));
  if (!record) throw new Error(`no certificate ${id}`);
  const data = format === 'pem' ? Buffer.from(derToPem(record.certificateDer)) : record.certificateDer;
  if (o.out) await writeFile(o.out, data);
  else process.stdout.write(data);
}

/** Set-AdfsCertificate -IsPrimary (Update-AdfsCertificate -Urgent is `keys generate --state next` then this with --force). */
export async function keysPromoteCommand(id: string, o: { config: string; force?: boolean }): Promise<void> {
  await withKeys(o.config, async ({ config, store, link }) => {
    const { promoted, demoted } = await rolloverFor(config, store, link).promote(id.toUpperCase(), o.force === true);
    process.stdout.write(`promoted ${promoted.id} to active${demoted ? `; ${demoted.id} is previous (published until it expires)` : ''}; running servers sign with it within ${config.keys.refreshSeconds} s\n`);
  });
}

/** Remove-AdfsCertificate: no longer used or published. */
export async function keysRetireCommand(id: string, o: { config: string }): Promise<void> {
  await withKeys(o.config, async ({ store }) => {
    await retireKey(store, id.toUpperCase());
    process.stdout.write(`retired ${id.toUpperCase()}\n`);
  });
}

/** Re-seals every private key under a new key-encryption key (given by environment variable). */
export async function keysRekeyCommand(o: { config: string; newKeyEnv: string }): Promise<void> {
  const value = process.env[o.newKeyEnv];
  if (!value) throw new Error(`environment variable ${o.newKeyEnv} is not set`);
  const newKek = parseKeyEncryptionKey(value);
  await withKeys(o.config, async ({ config, store }) => {
    const oldKek = signingKeyOptions(config).kek;
    const n = await rekey(store, oldKek, newKek);
    const totp = await resealTotpSecrets(store.mfa, oldKek, newKek);
    process.stdout.write(`re-sealed ${n} private keys and ${totp} authenticator secrets; now set keys.keyEncryptionKey to the new key (e.g. {env: ${o.newKeyEnv}}) and start the nodes again — SSO sessions sealed under the old key end\n`);
  });
}
