import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daysLeft } from '../../keys/validity.js';

// `keys list` and `doctor` both print how long a certificate has left: one count for both.
describe('certificate days left', () => {
  const notAfter = new Date('2027-03-10T12:00:00Z');
  it('counts whole days, rounded down, 0 on the last day and negative once expired', () => {
    assert.equal(daysLeft(notAfter, new Date('2027-03-01T12:00:00Z')), 9);
    assert.equal(daysLeft(notAfter, new Date('2027-03-01T12:00:01Z')), 8);
    assert.equal(daysLeft(notAfter, new Date('2027-03-10T11:59:59Z')), 0);
    assert.equal(daysLeft(notAfter, notAfter), 0);
    assert.equal(daysLeft(notAfter, new Date('2027-03-10T12:00:01Z')), -1);
  });
});
