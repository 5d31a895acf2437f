import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { hashPassword } from '../../directory/index.js';
import { spawnGatehouse, throwawayKek, type ChildConfig, type ChildGatehouse } from '../fuzz/child-gatehouse.js';

/** What the tests of `gatehouse serve` with two workers share: one user in a users file, the built CLI, its log. */
export const USER = { upn: 'ann@corp.example.com', password: 'Cluster-Passw0rd!' };

/** The built CLI with server.workers 2, a file directory holding USER, SQLite; `extra` adds config sections. */
export async function spawnCluster(extra: Partial<ChildConfig> = {}): Promise<ChildGatehouse> {
  const usersDir = await mkdtemp(join(tmpdir(), 'gatehouse-cluster-users-'));
  const users = [{ upn: USER.upn, sam: 'ann', password: await hashPassword(USER.password), objectGuid: '6f1c3c1e-5d2a-4a44-9a5e-0c7f3b2d9e11', displayName: 'Ann', groups: [], disabled: false }];
  await writeFile(join(usersDir, 'users.yaml'), stringify({ users }));
  const gh = await spawnGatehouse({
    directory: { kind: 'file', path: join(usersDir, 'users.yaml') },
    federation: { domains: [{ name: 'corp.example.com' }] },
    keys: { keyEncryptionKey: throwawayKek() },
    store: { kind: 'sqlite', sqlitePath: 'gatehouse.db' },
    log: { level: 'info' },
    ...extra,
  }, { workers: 2 });
  const stop = gh.stop.bind(gh);
  gh.stop = async () => {
    await stop();
    await rm(usersDir, { recursive: true, force: true });
  };
  return gh;
}

/** The sign-in audit events in the JSON log lines on stdout, with the pid of the worker that wrote each (pino writes it). */
export function signInAudits(gh: ChildGatehouse): { pid: number; outcome: string; user?: string }[] {
  const found: { pid: number; outcome: string; user?: string }[] = [];
  for (const line of gh.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { pid: number; audit?: { type: string; outcome: string; user?: string } };
    if (entry.audit?.type === 'signin') found.push({ pid: entry.pid, outcome: entry.audit.outcome, ...(entry.audit.user ? { user: entry.audit.user } : {}) });
  }
  return found;
}

export async function waitFor(gh: ChildGatehouse, what: string, condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms:\n${gh.stdout().slice(-2000)}\n${gh.stderr()}`);
    await sleep(50);
  }
}
