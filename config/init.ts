import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderConfig } from './render.js';
import { configSchema, type ConfigInput } from './schema.js';

export interface InitOptions {
  file: string;
  publicUrl: string;
  domains: string[];
  directory: ConfigInput['directory'];
  /** The listener's certificate and key (PEM), self-signed by the caller until replaced by a CA-issued one. */
  tls: { certPem: string; keyPem: string };
  force?: boolean;
}

/** Writes a complete, commented config with fresh secrets, and the listener's TLS files so `serve` works at once. */
export async function initConfig(o: InitOptions): Promise<{ file: string; tlsCert: string }> {
  if (!o.force && (await exists(o.file))) throw new Error(`${o.file} exists; use --force to overwrite`);
  const values = configSchema.parse({
    server: { publicUrl: o.publicUrl },
    directory: o.directory,
    federation: { domains: o.domains.map((name) => ({ name })) },
    keys: { keyEncryptionKey: randomBytes(32).toString('base64') },
    // Off and on loopback until an operator turns it on; its token is made now (43 characters, over
    // the schema's 32) so that turning it on is `enabled: true` and giving Prometheus the token.
    admin: { enabled: false, host: '127.0.0.1', token: randomBytes(32).toString('base64url') },
  });
  const dir = dirname(o.file);
  await mkdir(join(dir, 'tls'), { recursive: true });
  const certFile = join(dir, values.server.tls.certFile);
  await writeFile(certFile, o.tls.certPem);
  await writeFile(join(dir, values.server.tls.keyFile), o.tls.keyPem, { mode: 0o600 });
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
