import type { Config } from '../config/load.js';
import { postgresStore } from './postgres/index.js';
import { sqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export type { Store } from './types.js';
export { StoreUnavailableError } from './types.js';

type StoreConfig = Config['store'];

/** The PostgreSQL adapter's options from the `store:` section (its url is checked by the schema). */
export function postgresOptions(store: StoreConfig, migrate = store.migrateOnStart) {
  if (store.url === undefined) throw new Error('store.url is not set: a PostgreSQL store needs a connection URL');
  return { url: store.url, poolSize: store.poolSize, statementTimeoutMs: store.statementTimeoutMs, connectTimeoutMs: store.connectTimeoutMs, migrate };
}

export function openStore(config: Pick<Config, 'store'>): Store {
  switch (config.store.kind) {
    case 'sqlite':
      return sqliteStore(config.store.sqlitePath);
    case 'postgres':
      return postgresStore(postgresOptions(config.store));
  }
}
