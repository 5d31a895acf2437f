import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, type ParsedConfig } from './schema.js';

/** A config problem, named by file and key so an operator can fix it (exit code 2 in the CLI). */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${problem}`);
  }
}

// Distributes over unions: a secret (string | {env} | {file}) resolves to its string; everything else keeps its type.
type Resolved<T> = T extends string ? T : T extends { env: string } | { file: string } ? never : T extends object ? { [K in keyof T]: Resolved<T[K]> } : T;
/** The validated config with secrets read and relative paths made absolute. */
export type Config = Resolved<ParsedConfig> & { readonly file: string; readonly baseDir: string };

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, '', `cannot read: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(path, '', `invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(path, issue.path.join('.'), issue.message);
  }
  const baseDir = dirname(path);
  const resolved = (await resolveSecrets(parsed.data, [], { file: path, env, baseDir })) as Resolved<ParsedConfig>;
  const trusts = await Promise.all(resolved.trusts.map((t, i) => samlCertificates(t, `trusts.${i}.saml`, { file: path, baseDir })));
  const samlRequestSigningCertificates = await Promise.all(resolved.entra.samlRequestSigningCertificates.map((c, i) => certificate(c, `entra.samlRequestSigningCertificates.${i}`, { file: path, baseDir })));
  return { ...absolutePaths({ ...resolved, trusts, entra: { ...resolved.entra, samlRequestSigningCertificates } }, baseDir), file: path, baseDir };
}

async function resolveSecrets(value: unknown, at: string[], ctx: { file: string; env: NodeJS.ProcessEnv; baseDir: string }): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveSecrets(v, [...at, String(i)], ctx)));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'env' && typeof record.env === 'string') {
    const v = ctx.env[record.env];
    if (!v) throw new ConfigError(ctx.file, at.join('.'), `environment variable ${record.env} is not set`);
    return v;
  }
  if (keys.length === 1 && keys[0] === 'file' && typeof record.file === 'string') {
    try {
      return (await readFile(resolve(ctx.baseDir, record.file), 'utf8')).trim();
    } catch (err) {
      throw new ConfigError(ctx.file, at.join('.'), `cannot read secret file: ${(err as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = await resolveSecrets(record[k], [...at, k], ctx);
  return out;
}

type TrustInput = Resolved<ParsedConfig>['trusts'][number];

/** A certificate given as PEM text (or a PEM public key), as bare base64 DER (metadata's form), or as a file holding either. */
async function certificate(value: string, key: string, ctx: { file: string; baseDir: string }): Promise<string> {
  let text = value.trim();
  if (!text.startsWith('-----BEGIN') && !/^[A-Za-z0-9+/=\s]{64,}$/.test(text)) {
    try {
      text = (await readFile(resolve(ctx.baseDir, text), 'utf8')).trim();
    } catch (err) {
      throw new ConfigError(ctx.file, key, `cannot read certificate file: ${(err as Error).message}`);
    }
  }
  // A bare public key serves too where a partner publishes no certificate (key from configuration either way).
  if (text.startsWith('-----BEGIN CERTIFICATE-----') || text.startsWith('-----BEGIN PUBLIC KEY-----')) return `${text}\n`;
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new ConfigError(ctx.file, key, 'is not a PEM or base64 certificate');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** trusts[].saml certificates are read once here, so requests are checked against text already in memory. */
async function samlCertificates(t: TrustInput, key: string, ctx: { file: string; baseDir: string }): Promise<TrustInput> {
  if (!t.saml) return t;
  const signingCertificates = await Promise.all(t.saml.signingCertificates.map((c, i) => certificate(c, `${key}.signingCertificates.${i}`, ctx)));
  const encryptionCertificate = t.saml.encryptionCertificate === undefined ? undefined : await certificate(t.saml.encryptionCertificate, `${key}.encryptionCertificate`, ctx);
  return { ...t, saml: { ...t.saml, signingCertificates, ...(encryptionCertificate ? { encryptionCertificate } : {}) } };
}

/** Relative file paths in the config are relative to the config file, not the working directory. */
function absolutePaths(c: Resolved<ParsedConfig>, baseDir: string): Resolved<ParsedConfig> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const directory =
    c.directory.kind === 'file'
      ? { ...c.directory, path: abs(c.directory.path) }
      : { ...c.directory, ...(c.directory.caFile ? { caFile: abs(c.directory.caFile) } : {}) };
  return {
    ...c,
    server: { ...c.server, tls: { certFile: abs(c.server.tls.certFile), keyFile: abs(c.server.tls.keyFile) } },
    store: { ...c.store, sqlitePath: abs(c.store.sqlitePath) },
    directory,
    mfa: { ...c.mfa, ...(c.mfa.external?.caFile ? { external: { ...c.mfa.external, caFile: abs(c.mfa.external.caFile) } } : {}) },
    certificateAuth: { ...c.certificateAuth, caFiles: c.certificateAuth.caFiles.map(abs), revocation: { ...c.certificateAuth.revocation, crlFiles: c.certificateAuth.revocation.crlFiles.map(abs) } },
    audit: { ...c.audit, ...(c.audit.file ? { file: abs(c.audit.file) } : {}) },
    partnerMetadata: { ...c.partnerMetadata, ...(c.partnerMetadata.caFile ? { caFile: abs(c.partnerMetadata.caFile) } : {}) },
  };
}

/** ENTRA.md §4.1: AD FS -SupportMultipleDomain issuer form, unless configured to match Graph exactly. */
export function issuerFor(domain: { name: string; issuerUri?: string | undefined }): string {
  return domain.issuerUri ?? `http://${domain.name.toLowerCase()}/adfs/services/trust/`;
}

/** The federation service identifier (AD FS: http://{host}/adfs/services/trust): metadata entityID and default issuer. */
export function serviceIdentifier(config: Pick<Config, 'server'>): string {
  return `http://${new URL(config.server.publicUrl).hostname}/adfs/services/trust`;
}
