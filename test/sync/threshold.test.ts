import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, graphWrites, makeEngine, syncWorld, type SyncWorld } from './helpers.js';

describe('sync delete threshold', () => {
  let w: SyncWorld;
  before(async () => {
    w = await syncWorld('SyncBulk');
    for (let i = 0; i < 600; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => addUser(w.ad, w.ou, `bulk-${i + j}`)));
  });
  after(() => w.close());

  it('stops an export of 600 deletions at the default threshold of 500 and deletes nothing', async () => {
    const all = makeEngine(w);
    try {
      assert.equal((await all.engine.run()).run.counts.created, 600);
      // The same state, now scoped to an empty OU: every user would be deleted.
      const empty = `OU=Empty,${w.ou}`;
      await w.ad.add(empty, { objectClass: ['top', 'organizationalUnit'] });
      const narrowed = makeEngine(w, { ous: [empty], store: all.store });
      try {
        const before = graphWrites(w.double);
        const r = await narrowed.engine.run({ full: true });
        assert.equal(r.run.outcome, 'stopped');
        assert.equal(r.pending.deletes, 600);
        assert.match(r.run.message ?? '', /threshold of 500/);
        assert.equal(graphWrites(w.double), before);
        assert.equal(w.double.tenant.users.size, 600);
        assert.equal(w.double.tenant.deletedUsers.size, 0);
      } finally {
        await narrowed.close();
      }
    } finally {
      await all.close();
    }
  });
});
