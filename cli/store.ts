import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { copySqliteToPostgres, migrateStore, redactedUrl, storeStatus } from '../store/admin.js';
import { configOption } from './options.js';

async function migrateCommand(o: { config: string }): Promise<void> {
  const { from, to } = await migrateStore(await loadConfig(o.config));
  process.stdout.write(from === to ? `store schema already at version ${to}\n` : `store schema migrated from version ${from} to ${to}\n`);
}

async function statusCommand(o: { config: string; json?: boolean }): Promise<void> {
  const s = await storeStatus(await loadConfig(o.config));
  if (o.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else {
    process.stdout.write(`${s.kind} ${s.location}\nschema version ${s.version} of ${s.latest}${s.version < s.latest ? ' (run gatehouse store migrate)' : ''}\n`);
    for (const [table, n] of Object.entries(s.rows)) process.stdout.write(`${table}: ${n}\n`);
  }
  // A script (or a deployment step) can wait on this: 1 while migrations are pending.
  if (s.version < s.latest) process.exitCode = 1;
}

async function copyCommand(o: { config: string; from: string; to: string }): Promise<void> {
  if (o.from !== 'sqlite' || o.to !== 'postgres') throw new Error(`store copy moves --from sqlite --to postgres only, not --from ${o.from} --to ${o.to}`);
  const config = await loadConfig(o.config);
  if (config.store.url === undefined) throw new Error('store copy needs store.url (the PostgreSQL store to copy into) in the config');
  const copied = await copySqliteToPostgres(config);
  process.stdout.write(`copied ${config.store.sqlitePath} into ${redactedUrl(config.store.url)}:\n`);
  for (const [table, n] of Object.entries(copied)) process.stdout.write(`${table}: ${n}\n`);
}

/** `gatehouse store migrate|status|copy`: the store's schema, and moving an embedded install to PostgreSQL. */
export function storeCommand(): Command {
  const store = new Command('store').description('the store: schema migrations, status, moving SQLite to PostgreSQL');
  store.command('migrate').description('apply the schema migrations the store lacks (PostgreSQL: under a lock, safe beside running nodes)').option(...configOption).action(migrateCommand);
  store.command('status').description('store kind, schema version and rows per table; exit 1 while migrations are pending').option(...configOption).option('--json', 'machine-readable output').action(statusCommand);
  store
    .command('copy')
    .description('copy every row of store.sqlitePath into the empty PostgreSQL store at store.url, in one transaction')
    .option(...configOption)
    .requiredOption('--from <kind>', 'sqlite')
    .requiredOption('--to <kind>', 'postgres')
    .action(copyCommand);
  return store;
}
