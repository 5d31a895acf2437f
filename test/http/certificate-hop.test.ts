import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CertificateHop, HOP_PARAM, RESULT_FIELD } from '../../sts/http/certificate-hop.js';

const kek = Buffer.alloc(32, 7);
const opts = { lifetimeMs: 300_000, certificateOrigin: 'https://sts.corp.example.com:49443', mainOrigin: 'https://sts.corp.example.com', path: '/adfs/certauth' };
const resume = '/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3Afederation%3AMicrosoftOnline';
const der = Buffer.from('3082', 'hex');

const hopOf = (link: string) => new URL(link).searchParams.get(HOP_PARAM);

describe('the sealed hop between the login page and the certificate listener', () => {
  const hop = new CertificateHop(kek, opts);

  it('links to the certificate port of the same host and opens its own hop while it is current', () => {
    const t = Date.now();
    const link = hop.link(resume, 'csrf-1', t);
    assert.ok(link.startsWith('https://sts.corp.example.com:49443/adfs/certauth?hop='));
    assert.equal(hop.openHop(hopOf(link), t + 299_000)?.resume, resume);
    assert.equal(hop.openHop(hopOf(link), t + 300_000), undefined, 'expired');
  });

  it('opens no hop sealed under another key, for another purpose, or tampered with', () => {
    const t = Date.now();
    const other = new CertificateHop(Buffer.alloc(32, 8), opts);
    assert.equal(hop.openHop(hopOf(other.link(resume, 'c', t)), t), undefined);
    const sealed = hopOf(hop.link(resume, 'c', t))!;
    assert.equal(hop.openHop(`${sealed.slice(0, -2)}AA`, t), undefined);
    // A result is sealed for its own purpose: it does not open as a hop, nor a hop as a result.
    const answer = hop.answer(hop.openHop(sealed, t)!, der, 'good', 'csrf_token', t);
    assert.equal(hop.openHop(answer.fields[RESULT_FIELD], t), undefined);
    assert.equal(hop.openResult(sealed, resume, 'c', t), undefined);
    assert.equal(hop.openHop(undefined), undefined);
    assert.equal(hop.openHop(['a', 'b']), undefined);
  });

  it('returns the certificate only for the same sign-in, the same CSRF token, and in time', () => {
    const t = Date.now();
    const opened = hop.openHop(hopOf(hop.link(resume, 'csrf-2', t)), t)!;
    const answer = hop.answer(opened, der, 'unchecked', 'csrf_token', t);
    assert.equal(answer.action, `https://sts.corp.example.com${resume}`);
    assert.equal(answer.fields.csrf_token, 'csrf-2');
    const sealed = answer.fields[RESULT_FIELD];
    assert.deepEqual(hop.openResult(sealed, resume, 'csrf-2', t), { der, revocation: 'unchecked' });
    assert.equal(hop.openResult(sealed, `${resume}&wreply=x`, 'csrf-2', t), undefined, 'another sign-in');
    assert.equal(hop.openResult(sealed, resume, 'csrf-3', t), undefined, 'another browser’s token');
    assert.equal(hop.openResult(sealed, resume, 'csrf-2', t + 300_000), undefined, 'expired');
  });
});
