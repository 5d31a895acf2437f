import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { AUDIT_EVENTS, eventIdOf, eventNamed } from '../../health/audit-events.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PRODUCTION = ['cli', 'config', 'directory', 'entra', 'federation', 'health', 'keys', 'metadata', 'store', 'sts', 'sync', 'xml'];

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, dir), { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await sources(join(dir, e.name))));
    else if (e.name.endsWith('.ts')) out.push(join(dir, e.name));
  }
  return out;
}

describe('audit event catalogue (README "Audit log")', () => {
  it('gives every type two ids of its own, none shared', () => {
    const ids = Object.values(AUDIT_EVENTS).flatMap((k) => [k.id, k.id + 1]);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([eventIdOf({ type: 'signin', outcome: 'failure' }), eventIdOf({ type: 'signin', outcome: 'failure', reason: 'extranet-lockout' })], [8001, 8021]);
    assert.deepEqual(eventNamed('8021'), { type: 'lockout', outcome: 'failure' });
  });

  it('documents every type the code records, and the README table lists each with its ids', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    for (const [type, k] of Object.entries(AUDIT_EVENTS)) assert.ok(readme.includes(`| ${k.id} / ${k.id + 1} | \`${type}\` |`), `README lists ${type}`);
    const recorded = new Set<string>();
    for (const dir of PRODUCTION) {
      for (const file of await sources(dir)) {
        const text = await readFile(join(root, file), 'utf8');
        // Audit events are written as { type: …, outcome: … } or through keys/lifecycle.ts's audit(store, type, …).
        for (const m of text.matchAll(/type:\s*([^,]+),\s*outcome|audit\(store,\s*([^,]+),/g)) {
          for (const lit of (m[1] ?? m[2] ?? '').matchAll(/(?<!===\s*)'([a-z][a-z.-]*)'/g)) recorded.add(lit[1]!);
        }
      }
    }
    assert.ok(recorded.size >= 15, `found the recorded types: ${[...recorded].join(', ')}`);
    for (const type of recorded) assert.ok(AUDIT_EVENTS[type], `${type} is recorded but has no event id in health/audit-events.ts`);
  });
});
