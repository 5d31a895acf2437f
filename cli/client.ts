import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { parseKeyEncryptionKey } from '../keys/keystore.js';
import { SealedValues } from '../keys/sealing.js';
import { InvalidClient, OIDC_CLIENT_SECRETS, OidcClients, authMethod } from '../sts/protocols/oidc/clients.js';
import { openStore } from '../store/index.js';
import { configOption } from './options.js';

/** Runs `fn` with the clients of the config and its store, the store closed whatever happens; a refused client is exit 2. */
async function withClients<T>(configFile: string, fn: (clients: OidcClients) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const store = openStore(config);
  try {
    return await fn(new OidcClients(config.oidc.clients, store.oidcClients, new SealedValues(parseKeyEncryptionKey(config.keys.keyEncryptionKey), OIDC_CLIENT_SECRETS)));
  } catch (err) {
    if (err instanceof InvalidClient) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  } finally {
    await store.close();
  }
}

async function listCommand(o: { config: string; json?: boolean }): Promise<void> {
  const all = await withClients(o.config, (c) => c.all());
  // Never a secret: the list says only how each client authenticates.
  const rows = all.map(({ client, source, addedAt }) => ({
    client_id: client.client_id,
    client_name: client.client_name,
    source,
    token_endpoint_auth_method: authMethod(client),
    grant_types: client.grant_types,
    redirect_uris: client.redirect_uris,
    ...(addedAt ? { added: addedAt.toISOString() } : {}),
  }));
  if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else for (const r of rows) process.stdout.write(`${r.client_id}\t${r.source}\t${r.token_endpoint_auth_method}\t${r.grant_types.join(',')}\t${r.redirect_uris.join(' ')}\n`);
}

async function addCommand(o: { config: string; file: string }): Promise<void> {
  let metadata: unknown;
  try {
    metadata = JSON.parse(await readFile(o.file, 'utf8'));
  } catch (err) {
    process.stderr.write(`gatehouse: ${o.file}: not a JSON file of client metadata (${(err as Error).message})\n`);
    process.exit(2);
  }
  const client = await withClients(o.config, (c) => c.add(metadata));
  process.stdout.write(`added client ${client.client_id} (${authMethod(client)}); every node uses it from its next request\n`);
}

async function removeCommand(clientId: string, o: { config: string }): Promise<void> {
  if (!(await withClients(o.config, (c) => c.remove(clientId)))) throw new Error(`no stored client ${clientId}`);
  process.stdout.write(`removed client ${clientId}\n`);
}

/** `gatehouse client list|add|remove`: OAuth / OpenID Connect clients (AD FS Add-AdfsClient, Get-AdfsClient, Remove-AdfsClient). */
export function clientCommand(): Command {
  const client = new Command('client').description('OAuth 2.0 / OpenID Connect clients (AD FS *-AdfsClient)');
  client.command('list').description('every client, from the config and added ones; never a secret').option(...configOption).option('--json', 'machine-readable output').action(listCommand);
  client
    .command('add')
    .description('add a client from RFC 7591 registration metadata (client_id, client_secret, redirect_uris, token_endpoint_auth_method, grant_types, jwks, …); no restart needed')
    .option(...configOption)
    .requiredOption('--file <CLIENT.json>', 'the client metadata')
    .action(addCommand);
  client.command('remove <client_id>').description('remove an added client; its next request is refused').option(...configOption).action(removeCommand);
  return client;
}
