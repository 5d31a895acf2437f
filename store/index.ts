import type { Config } from '../config/load.js';
import { sqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

export function openStore(config: Pick<Config, 'store'>): Store {
  switch (config.store.kind) {
    case 'sqlite':
      return sqliteStore(config.store.sqlitePath);
  }
}
