import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { derToPem, generateSelfSignedCertificate } from '../keys/certificate.js';
import { renderConfig } from './render.js';
import { configSchema, type ConfigInput } from './schema.js';

export interface InitOptions {
  file: string;
  publicUrl: string;
  domains: string[];
  directory: ConfigInput['directory'];
  force?: boolean;
}

/**
 * Writes a complete, commented config with fresh secrets, plus a self-signed TLS certificate for
 * the listener so `serve` works at once (replace it with a CA-issued one for production).
 */
export async function initConfig(o: InitOptions): Promise<{ file: string; tlsCert: string }> {
  if (!o.force && (await exists(o.file))) throw new Error(`${o.file} exists; use --force to overwrite`);
  const values = configSchema.parse({
    server: { publicUrl: o.publicUrl },
    directory: o.directory,
    federation: { domains: o.domains.map((name) => ({ name })) },
    keys: { keyEncryptionKey: randomBytes(32).toString('base64') },
  });
  const dir = dirname(o.file);
  await mkdir(join(dir, 'tls'), { recursive: true });
  const host = new URL(o.publicUrl).hostname;
  const tls = await generateSelfSignedCertificate({
    subject: `CN=${host}`,
    validityDays: 825,
    keyBits: 2048,
    dnsNames: [host, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    serverAuth: true,
  });
  const certFile = join(dir, values.server.tls.certFile);
  await writeFile(certFile, derToPem(tls.certificateDer));
  await writeFile(join(dir, values.server.tls.keyFile), tls.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await writeFile(o.file, renderConfig(values), { mode: 0o600 });
  return { file: o.file, tlsCert: certFile };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
