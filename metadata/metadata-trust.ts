import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { Config } from '../config/load.js';
import { trust as trustSchema } from '../config/schema.js';
import type { StoredTrust, Store, TrustSource } from '../store/types.js';
import { trustKey, TrustRegistry } from '../sts/trusts/trust.js';
import { fetchMetadata } from './fetch-metadata.js';
import { MetadataRefused, readPartnerMetadata, type PartnerMetadata } from './sp-metadata.js';

type ConfigTrust = z.output<typeof trustSchema>;

/**
 * The operator's choices at `gatehouse trust add`, kept with the trust and applied again at every
 * refresh; everything else comes from the metadata (AD FS Add-AdfsRelyingPartyTrust -MetadataUrl
 * with its -Name, -SignedSamlRequestsRequired… parameters).
 */
export interface TrustOptions {
  name?: string | undefined;
  /** PEM certificate whose key signs the metadata: with it, unsigned or otherwise signed metadata is refused. */
  metadataSigningCertificate?: string | undefined;
  sign?: 'assertion' | 'response' | 'both' | undefined;
  allowIdpInitiated?: boolean | undefined;
  allowSha1?: boolean | undefined;
  ruleSet?: 'office365' | 'mapped' | undefined;
  allowWsTrust?: boolean | undefined;
}

/**
 * The trust a metadata document describes, as a config `trusts[]` entry checked (and given its
 * defaults) by the one trust schema. Reply URLs are the ACS locations, the default ACS first, then
 * any WS-Federation passive endpoints. WantAssertionsSigned forces the assertion to be signed
 * (SAML 2.0 Metadata §2.4.4): an operator's `response` becomes `both`.
 */
export function trustFromMetadata(md: PartnerMetadata, o: TrustOptions): ConfigTrust {
  const acs = md.sp ? [...md.sp.assertionConsumerServices].sort((a, b) => Number(b.isDefault) - Number(a.isDefault)) : [];
  const replyUrls = [...new Set([...acs.map((e) => e.location), ...md.passiveEndpoints])];
  const sign = o.sign ?? 'assertion';
  const input = {
    identifier: md.entityId,
    name: o.name ?? (md.displayName || md.entityId),
    replyUrls,
    ...(o.ruleSet ? { ruleSet: o.ruleSet } : {}),
    ...(o.allowWsTrust !== undefined ? { allowWsTrust: o.allowWsTrust } : {}),
    ...(md.sp
      ? {
          saml: {
            assertionConsumerServices: md.sp.assertionConsumerServices,
            singleLogoutServices: md.sp.singleLogoutServices,
            signingCertificates: md.sp.signingCertificates,
            requireSignedRequests: md.sp.requireSignedRequests,
            sign: md.sp.wantAssertionsSigned && sign === 'response' ? 'both' : sign,
            allowSha1: o.allowSha1 ?? false,
            ...(md.sp.encryptionCertificate ? { encryptionCertificate: md.sp.encryptionCertificate } : {}),
            ...(md.sp.nameIdFormat ? { nameIdFormat: md.sp.nameIdFormat } : {}),
            allowIdpInitiated: o.allowIdpInitiated ?? false,
          },
        }
      : {}),
  };
  const parsed = trustSchema.safeParse(JSON.parse(JSON.stringify(input)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MetadataRefused(`the metadata makes no valid trust: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data;
}

export type PartnerSettings = Config['partnerMetadata'];

/** `--metadata URL|FILE`: an https:// (or http://, refused when fetched) URL, else a file path. */
export function sourceOf(metadata: string, cwd = process.cwd()): TrustSource {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(metadata) ? { kind: 'url', url: metadata } : { kind: 'file', file: resolve(cwd, metadata) };
}

/** Reads the source (a URL now, a file once: its content is stored, so every node has it) and builds the trust to store. */
export async function readMetadataTrust(source: TrustSource, options: TrustOptions, settings: PartnerSettings, now: Date): Promise<Omit<StoredTrust, 'version'>> {
  const metadata = source.kind === 'url' ? await fetchMetadata(source.url, settings) : await readFile(source.file, 'utf8');
  return buildStoredTrust(metadata, source, options, settings, now);
}

function buildStoredTrust(metadata: string, source: TrustSource, options: TrustOptions, settings: PartnerSettings, now: Date): Omit<StoredTrust, 'version'> {
  const md = readPartnerMetadata(metadata, { signingCertificate: options.metadataSigningCertificate, maxBytes: settings.maxBytes, now });
  const trust = trustFromMetadata(md, options);
  return {
    id: trustKey(trust.identifier),
    trust,
    source,
    options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
    metadata,
    validUntil: md.validUntil,
    lastRefresh: { at: now, ok: true, message: source.kind === 'url' ? `fetched ${source.url}` : `read ${source.file}` },
    updatedAt: now,
  };
}

/**
 * `gatehouse trust add`: the trust the metadata describes, stored (every node uses it within
 * `partnerMetadata.reloadSeconds`). Its entityID already stored: replaced. Defined by the config
 * (or Entra's): refused, config trusts stay as they are. Audited as a federation change.
 */
export async function addMetadataTrust(config: Pick<Config, 'entra' | 'trusts' | 'partnerMetadata'>, store: Store, source: TrustSource, options: TrustOptions, now = new Date()): Promise<{ trust: StoredTrust; replaced: boolean }> {
  const record = await readMetadataTrust(source, options, config.partnerMetadata, now);
  const identifier = String(record.trust.identifier);
  if (TrustRegistry.fromConfig(config).isConfigured(identifier)) throw new MetadataRefused(`the config defines a trust with the identifier ${identifier}; change it there, or remove it from the config first`);
  const replaced = (await store.trusts.get(record.id)) !== undefined;
  const stored = await store.trusts.put(record);
  await store.audit.append({ at: now, type: replaced ? 'trust.replaced' : 'trust.added', outcome: 'success', relyingParty: identifier, details: { source: describeSource(source), version: stored.version } });
  return { trust: stored, replaced };
}

/** `gatehouse trust remove`: only stored trusts; a config trust is removed from the config. */
export async function removeMetadataTrust(config: Pick<Config, 'entra' | 'trusts'>, store: Store, identifier: string, now = new Date()): Promise<void> {
  if (TrustRegistry.fromConfig(config).isConfigured(identifier)) throw new MetadataRefused(`${identifier} is defined in the config, not by metadata: remove it from the config`);
  if (!(await store.trusts.delete(trustKey(identifier)))) throw new MetadataRefused(`no trust ${identifier} was added from metadata (gatehouse trust list)`);
  await store.audit.append({ at: now, type: 'trust.removed', outcome: 'success', relyingParty: identifier });
}

export function describeSource(source: TrustSource): string {
  return source.kind === 'url' ? source.url : `file ${source.file}`;
}

/**
 * One refresh of the trusts whose metadata URL is due (`partnerMetadata.refreshMinutes` since the
 * last attempt), run by the node holding the refresh lease. A changed document replaces the trust;
 * a failure (unreachable, refused, now naming another entityID) is recorded, logged and audited,
 * and the trust stays as it was (AD FS trust monitoring, events 166/168).
 */
export async function refreshDueTrusts(store: Store, settings: PartnerSettings, log: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void }, now = new Date()): Promise<{ refreshed: number; failed: number }> {
  let refreshed = 0;
  let failed = 0;
  for (const stored of await store.trusts.list()) {
    if (stored.source.kind !== 'url' || stored.lastRefresh.at.getTime() + settings.refreshMinutes * 60_000 > now.getTime()) continue;
    const identifier = String(stored.trust.identifier);
    try {
      const fresh = await readMetadataTrust(stored.source, stored.options as TrustOptions, settings, now);
      if (fresh.id !== stored.id) throw new MetadataRefused(`the metadata now names the entityID ${String(fresh.trust.identifier)}`);
      if (fresh.metadata === stored.metadata) await store.trusts.setRefresh(stored.id, { at: now, ok: true, message: 'unchanged' });
      else {
        const { version } = await store.trusts.put(fresh);
        await store.audit.append({ at: now, type: 'trust.refreshed', outcome: 'success', relyingParty: identifier, details: { source: stored.source.url, version } });
        log.info({ trust: identifier, version }, 'trust metadata changed; trust updated');
      }
      refreshed += 1;
    } catch (err) {
      if (!(err instanceof MetadataRefused)) throw err;
      failed += 1;
      await store.trusts.setRefresh(stored.id, { at: now, ok: false, message: err.message });
      await store.audit.append({ at: now, type: 'trust.refresh-failed', outcome: 'failure', relyingParty: identifier, reason: err.message.slice(0, 256), details: { source: stored.source.url } });
      log.warn({ trust: identifier, reason: err.message }, 'trust metadata refresh failed; the trust is kept as it was');
    }
  }
  return { refreshed, failed };
}
