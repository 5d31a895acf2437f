import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../config/load.js';
import { directoryFromConfig } from '../directory/from-config.js';
import type { Directory, LocatedAccount } from '../directory/types.js';
import { auditFromConfig, type Audit } from '../health/audit.js';
import { createLogger } from '../health/log.js';
import { parseKeyEncryptionKey } from '../keys/keystore.js';
import { openStore } from '../store/index.js';
import { extranetLockoutFromConfig, type AccountActivity, type ExtranetLockout, type ResetLocation } from '../sts/signin/extranet-lockout.js';
import { configOption } from './options.js';

/*
 * `gatehouse lockout show|reset|add-address|forget-addresses USER`: AD FS's Get-, Reset- and
 * Set-AdfsAccountActivity over the store every node shares. USER in any spelling (UPN, DOMAIN\sam,
 * sam) is resolved in the directory to the one account the counters belong to.
 */

interface Ctx {
  config: Config;
  lockout: ExtranetLockout;
  audit: Audit;
  account: LocatedAccount & { upn: string };
}

async function withAccount<T>(configFile: string, user: string, fn: (c: Ctx) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const log = createLogger('warn');
  const store = openStore(config);
  let directory: Directory | undefined;
  let audit: Audit | undefined;
  try {
    directory = await directoryFromConfig(config, log);
    const located = await directory.locate(user);
    if (!located.ok) throw new Error(located.reason === 'directory-unavailable' ? 'no domain controller answered; try again' : `not a user name: ${JSON.stringify(user)}`);
    const { account } = located;
    if (account.upn === undefined) throw new Error(`no account ${JSON.stringify(user)} in the directory`);
    const kek = parseKeyEncryptionKey(config.keys.keyEncryptionKey);
    const lockout = extranetLockoutFromConfig(config.lockout, store, kek);
    audit = auditFromConfig(config, store.audit, log, kek);
    return await fn({ config, lockout, audit, account: { ...account, upn: account.upn } });
  } finally {
    await directory?.close();
    // Audit writes are queued (health/audit.ts): what the command recorded goes in before the store closes.
    await audit?.flush();
    await store.close();
  }
}

const when = (d: Date | undefined) => d?.toISOString() ?? '-';

function printActivity(c: Ctx, a: AccountActivity): void {
  const l = c.config.lockout;
  const out = [
    `account             ${c.account.upn}`,
    `mode                ${l.mode} (unfamiliar threshold ${l.extranetThreshold}, familiar ${l.familiarThreshold ?? l.extranetThreshold}, window ${l.observationWindowMinutes} min)`,
    `familiar failures   ${a.familiar.failures}, last ${when(a.familiar.lastFailure)}`,
    `unfamiliar failures ${a.unfamiliar.failures}, last ${when(a.unfamiliar.lastFailure)}`,
    ...(a.anyLocation !== undefined ? [`enforced failures   ${a.anyLocation} (logOnly: any location)`] : []),
    `familiar addresses  ${a.addresses.length}`,
    ...a.addresses.map((x) => `  ${x.address.padEnd(24)} last sign-in ${x.lastSeen.toISOString()}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

async function showCommand(user: string, o: { config: string; json?: boolean }): Promise<void> {
  await withAccount(o.config, user, async (c) => {
    const activity = await c.lockout.show(c.account.key);
    if (o.json) process.stdout.write(`${JSON.stringify({ user: c.account.upn, ...activity })}\n`);
    else printActivity(c, activity);
  });
}

async function resetCommand(user: string, o: { config: string; location: ResetLocation }): Promise<void> {
  await withAccount(o.config, user, async (c) => {
    await c.lockout.reset(c.account.key, o.location);
    await c.audit.record({ type: 'lockout.reset', outcome: 'success', user: c.account.upn, details: { location: o.location, by: 'cli' } });
    process.stdout.write(`reset the ${o.location === 'all' ? 'familiar and unfamiliar' : o.location} failure count of ${c.account.upn}\n`);
  });
}

async function addAddressCommand(user: string, address: string, o: { config: string }): Promise<void> {
  if (isIP(address) === 0) throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  await withAccount(o.config, user, async (c) => {
    const added = await c.lockout.addFamiliar(c.account.key, address);
    await c.audit.record({ type: 'lockout.familiar-added', outcome: 'success', user: c.account.upn, details: { address: added, by: 'cli' } });
    process.stdout.write(`${added} is a familiar address of ${c.account.upn}\n`);
  });
}

async function forgetCommand(user: string, o: { config: string }): Promise<void> {
  await withAccount(o.config, user, async (c) => {
    await c.lockout.forgetFamiliar(c.account.key);
    await c.audit.record({ type: 'lockout.familiar-forgotten', outcome: 'success', user: c.account.upn, details: { by: 'cli' } });
    process.stdout.write(`forgot the familiar addresses of ${c.account.upn}\n`);
  });
}

export function lockoutCommand(): Command {
  const lockout = new Command('lockout').description('extranet smart lockout per account (AD FS Get-/Reset-/Set-AdfsAccountActivity)');
  lockout.command('show <user>').description('failures from familiar and unfamiliar locations, their last times, the familiar addresses').option(...configOption).option('--json', 'machine-readable output').action(showCommand);
  lockout
    .command('reset <user>')
    .description('reset the failure count of a location, so the user may try again from there')
    .option(...configOption)
    .addOption(new Option('--location <location>', 'which count').choices(['familiar', 'unfamiliar', 'all']).default('all'))
    .action(resetCommand);
  lockout.command('add-address <user> <address>').description('make an address familiar for the user (an IPv6 address counts by its /64)').option(...configOption).action(addAddressCommand);
  lockout.command('forget-addresses <user>').description('forget every familiar address of the user').option(...configOption).action(forgetCommand);
  return lockout;
}
