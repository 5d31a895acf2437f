import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { describeEnrolment, findEnrolment, resetEnrolment } from '../sts/signin/mfa/enrolments.js';
import { configOption } from './options.js';

async function withStore<T>(configFile: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(await loadConfig(configFile));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function showCommand(user: string, o: { config: string; json?: boolean }): Promise<void> {
  const found = await withStore(o.config, (store) => findEnrolment(store, user));
  const view = found && describeEnrolment(found);
  if (o.json) process.stdout.write(`${JSON.stringify(view ?? null)}\n`);
  else process.stdout.write(view ? `${view.user} (${view.objectGuid}): authenticator app (TOTP), set up ${view.enrolledAt}, last code used ${view.lastUsedAt}\n` : `${user}: no second factor set up\n`);
  if (!view) process.exitCode = 1;
}

async function resetCommand(user: string, o: { config: string }): Promise<void> {
  const removed = await withStore(o.config, (store) => resetEnrolment(store, user));
  if (!removed) {
    process.stdout.write(`${user}: no second factor set up; nothing removed\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${removed.upn}: authenticator app removed; a new one is set up at the next sign-in that needs MFA (mfa.totp.enrolment)\n`);
}

/** `gatehouse mfa show|reset USER`: a user's second factor, by UPN or objectGUID. */
export function mfaCommand(): Command {
  const mfa = new Command('mfa').description('users’ second factors (authenticator apps)');
  mfa.command('show <user>').description('the user’s authenticator (UPN or objectGUID); exit 1 when none').option(...configOption).option('--json', 'machine-readable output').action(showCommand);
  mfa.command('reset <user>').description('remove the user’s authenticator (a lost phone); exit 1 when none').option(...configOption).action(resetCommand);
  return mfa;
}
