import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { directoryFromConfig } from '../directory/from-config.js';
import type { Directory } from '../directory/types.js';
import { auditFromConfig, type Audit } from '../health/audit.js';
import { SignInHistory } from '../health/history.js';
import { GatehouseMetrics } from '../health/metrics.js';
import { auditFileTee } from '../health/audit-file.js';
import { entraLinkFromConfig } from '../federation/certificates.js';
import type { EntraLink } from '../keys/rollover.js';
import { rolloverFor, signingKeyOptions } from '../keys/from-config.js';
import { keepKeys, KeyRing } from '../keys/key-ring.js';
import { keepTrusts } from '../metadata/keep-trusts.js';
import { ensureActiveSigningKey } from '../keys/signing-keys.js';
import { HOUSEKEEPING_INTERVAL_MS, housekeep } from '../store/housekeeping.js';
import { openStore, type Store } from '../store/index.js';
import { joinFarm } from './farm.js';
import { TrustRegistry } from './trusts/trust.js';

/** Everything a request handler may need, built once at start from the config. */
export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  audit: Audit;
  directory: Directory;
  /** The signer of the active key, following promotions made by any node (keys/key-ring.ts). */
  keys: KeyRing;
  /** Runs the rollover and re-reads the keys now, as the timer does every `keys.refreshSeconds`. */
  keyCycle: () => Promise<void>;
  /** `keys.keyEncryptionKey`; every purpose's key (private keys, cookies, CSRF, pseudonyms) is derived from it (keys/sealing.ts). */
  kek: Buffer;
  /** Prometheus metrics of this process (the admin listener's /metrics). */
  metrics: GatehouseMetrics;
  /** Tokens and failures per five minutes in the store (the health page's charts, the failure-spike alert). */
  history: SignInHistory;
  /** How we reach Entra's copy of our certificates (keys status, the health page, alerts). */
  entraLink: EntraLink;
  /** The certificate lifecycle clock (RuntimeOptions.now). */
  now: () => Date;
  /** Every relying-party trust: the config's, and those added from metadata, re-read every `partnerMetadata.reloadSeconds`. */
  trusts: TrustRegistry;
  /** Refreshes due metadata (lease holder) and re-reads the stored trusts now, as the timer does. */
  trustCycle: () => Promise<void>;
  /** Opens `audit.file` again after log rotation (SIGHUP). */
  reopenAuditFile(): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The clock of certificate lifecycle decisions (rollover); tests move it. Tokens use the real time. */
  now?: () => Date;
}

export async function createRuntime(config: Config, log: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  const store = openStore(config);
  // Before anything records: every event of this process also goes to audit.file.
  const auditFile = config.audit.file ? auditFileTee(store.audit, config.audit.file) : undefined;
  if (auditFile) store.audit = auditFile.store;
  let farm: Awaited<ReturnType<typeof joinFarm>> | undefined;
  try {
    const now = opts.now ?? (() => new Date());
    const keyOpts = signingKeyOptions(config);
    // Before anything is written under this node's key: a node that cannot share the farm's work stops here.
    farm = await joinFarm(store, config.federation.domains, keyOpts.kek, config.keys.refreshSeconds * 1000);
    const ring = new KeyRing(store, keyOpts.kek, await ensureActiveSigningKey(store, keyOpts, now()));
    const metrics = new GatehouseMetrics();
    const history = new SignInHistory(store.counters);
    const directory = await directoryFromConfig(config, log, metrics.ldapTimer);
    const entra = await entraLinkFromConfig(config, metrics.graphTimer);
    const rollover = rolloverFor(config, store, entra.link, now);
    const keeper = keepKeys({ store, ring, rollover, intervalMs: config.keys.refreshSeconds * 1000, log: log.child({ part: 'keys' }), now });
    void keeper.cycle();
    const trusts = TrustRegistry.fromConfig(config);
    const trustKeeper = keepTrusts({ store, registry: trusts, settings: config.partnerMetadata, log: log.child({ part: 'trusts' }), now });
    // Stored trusts are in place before the first request.
    await trustKeeper.cycle();
    const cleanLog = log.child({ part: 'housekeeping' });
    const clean = () => housekeep(store, new Date(), config.audit.retentionDays).then((n) => n.sessions + n.counters + n.activity + n.oidc + n.audit > 0 && cleanLog.info(n, 'purged expired sessions, counters, account activity, OpenID Connect entries and audit events past the retention'), (err: unknown) => cleanLog.error({ err }, 'housekeeping failed; retrying next time'));
    const cleaner = setInterval(() => void clean(), HOUSEKEEPING_INTERVAL_MS);
    cleaner.unref();
    const audit = auditFromConfig(config, store.audit, log.child({ part: 'audit' }), keyOpts.kek);
    audit.observe(metrics.countAudit);
    audit.observe(history.countAudit);
    return {
      config,
      log,
      store,
      audit,
      directory,
      keys: ring,
      keyCycle: keeper.cycle,
      kek: keyOpts.kek,
      metrics,
      history,
      entraLink: entra.link,
      now,
      trusts,
      trustCycle: trustKeeper.cycle,
      reopenAuditFile: () => auditFile?.reopen(),
      async close() {
        clearInterval(cleaner);
        await trustKeeper.stop();
        await keeper.stop();
        await farm?.stop();
        await entra.close();
        await directory.close();
        // Audit events are written off the answers' path (health/audit.ts): the last ones go in before the store closes.
        await audit.flush();
        await auditFile?.close();
        await store.close();
      },
    };
  } catch (err) {
    await farm?.stop();
    await auditFile?.close();
    await store.close();
    throw err;
  }
}
