import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addGroup, addUser, gatehouse, members, replace, syncWorld, writeSyncConfig, type SyncWorld } from './helpers.js';

/** `gatehouse sync run` as a child process, SIGKILLed after `killAfterMs` unless it finishes first. */
function syncRun(config: string, killAfterMs?: number): Promise<{ code: number | null; killed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const child = gatehouse(['sync', 'run', '-c', config]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, stdout });
    });
  });
}

describe('sync crash safety', () => {
  let w: SyncWorld;
  let config: string;
  let dir: string;
  const users: string[] = [];
  const groups: string[] = [];
  before(async () => {
    w = await syncWorld('SyncCrash');
    for (let i = 0; i < 45; i += 15) users.push(...(await Promise.all(Array.from({ length: 15 }, (_, j) => addUser(w.ad, w.ou, `c${w.tag}-${i + j}`)))));
    for (let g = 0; g < 3; g++) groups.push(await addGroup(w.ad, w.ou, `crash-group-${g}`, users.filter((_, i) => i % 3 === g)));
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sync-crash-'));
    config = await writeSyncConfig(w, dir);
  });
  after(async () => {
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with exactly the expected Entra state after runs killed at random points under throttling', async () => {
    let kills = 0;
    for (let run = 0; run < 10; run++) {
      // Every run meets throttled batch items (1 s Retry-After), so kills land inside exports too.
      w.double.faults.throttle({ scope: 'batch-item', count: 8, retryAfterSeconds: 1 });
      if (run === 5) {
        await replace(w.ad, users[0]!, 'department', ['Changed mid-way']);
        await members(w.ad, groups[0]!, 'delete', [users[0]!]);
        await members(w.ad, groups[1]!, 'add', [users[0]!]);
      }
      const r = await syncRun(config, 1500 + Math.floor(Math.random() * 3500));
      if (r.killed) kills++;
    }
    assert.ok(kills > 0, 'no run was killed');
    // Unused throttling budget would only slow the finishing runs down.
    w.double.faults.reset();
    const final = await syncRun(config);
    assert.equal(final.code, 0, final.stdout);
    const again = await syncRun(config);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /run success/);

    const tenantUsers = [...w.double.tenant.users.values()];
    assert.equal(tenantUsers.length, 45, 'no duplicate or missing users');
    assert.equal(new Set(tenantUsers.map((u) => u.onPremisesImmutableId)).size, 45);
    assert.deepEqual(tenantUsers.map((u) => u.userPrincipalName.split('@')[0]).sort(), Array.from({ length: 45 }, (_, i) => `c${w.tag}-${i}`).sort());
    assert.equal(tenantUsers.find((u) => u.userPrincipalName.startsWith(`c${w.tag}-0@`))?.department, 'Changed mid-way');
    const tenantGroups = [...w.double.tenant.groups.values()];
    assert.deepEqual(tenantGroups.map((g) => g.displayName).sort(), ['crash-group-0', 'crash-group-1', 'crash-group-2'], 'no duplicate groups');
    const upn = (id: string) => w.double.tenant.users.get(id)?.userPrincipalName.split('@')[0];
    const expected = (g: number) => users.map((_, i) => i).filter((i) => (g === 0 ? i % 3 === 0 && i !== 0 : g === 1 ? i % 3 === 1 || i === 0 : i % 3 === 2)).map((i) => `c${w.tag}-${i}`).sort();
    for (let g = 0; g < 3; g++) {
      const group = tenantGroups.find((x) => x.displayName === `crash-group-${g}`)!;
      assert.deepEqual([...group.members].map(upn).sort(), expected(g), `members of crash-group-${g}`);
    }
  });
});
