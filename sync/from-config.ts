import { readFile } from 'node:fs/promises';
import type { Config } from '../config/load.js';
import { AdSourceReader } from '../directory/source-reader.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { SyncStateStore } from '../store/types.js';
import { SyncEngine, type SyncProgress } from './engine.js';

/** The engine the config describes; `close` ends its LDAP and HTTPS connections. */
export async function syncEngineFromConfig(config: Config, store: SyncStateStore, onProgress?: (p: SyncProgress) => void): Promise<{ engine: SyncEngine; close: () => Promise<void> }> {
  if (!config.graph) throw new Error('sync needs a `graph` section (tenant, app registration)');
  if (config.directory.kind !== 'ldap') throw new Error('sync reads Active Directory: `directory.kind` must be ldap');
  const sync = config.sync ?? { ous: [], deleteThreshold: 500, staging: false, scheduleMinutes: 30, writeBackConsistencyGuid: false, attributeFlows: [] };
  const dir = config.directory;
  const account = sync.account ?? dir.serviceAccount;
  const source = new AdSourceReader({
    dcs: dir.dcs,
    startTls: dir.startTls,
    tls: dir.caFile ? { ca: await readFile(dir.caFile, 'utf8') } : {},
    bindDn: account.dn,
    password: account.password,
    baseDn: dir.baseDn,
    ous: sync.ous,
    extraAttributes: sync.attributeFlows.map((f) => f.source),
    connectTimeoutMs: dir.connectTimeoutMs,
    operationTimeoutMs: dir.operationTimeoutMs,
  });
  const graph = await graphClientFromConfig(config.graph, config.baseDir);
  const engine = new SyncEngine({
    store, source, graph: graph.client,
    settings: { deleteThreshold: sync.deleteThreshold, staging: sync.staging, flows: sync.attributeFlows, writeBackConsistencyGuid: sync.writeBackConsistencyGuid },
    ...(onProgress ? { onProgress } : {}),
  });
  return { engine, close: async () => { await source.close(); await graph.close(); } };
}
