import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { BadRequest, NoSuchTrust, RequestDenied, type ProtocolError } from '../../sts/protocols/errors.js';
import { FailedAuthentication, soapFault } from '../../sts/protocols/wstrust/faults.js';
import { USERNAME_ENDPOINTS } from '../../sts/protocols/wstrust/versions.js';
import { qnameValues } from './qnames.js';

const run = promisify(execFile);
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';

const errors: [ProtocolError, string][] = [
  [new FailedAuthentication('bad-password'), 'FailedAuthentication'],
  [new NoSuchTrust('urn:nobody'), 'RequestFailed'],
  [new RequestDenied('wstrust-not-allowed', 'no'), 'RequestFailed'],
  [new BadRequest('xml-doctype'), 'InvalidRequest'],
];

describe('SOAP faults (ENTRA.md §6.4)', () => {
  for (const endpoint of USERNAME_ENDPOINTS) {
    for (const [err, code] of errors) {
      it(`answers ${err.constructor.name} on the ${endpoint.name} endpoint with ${code} in its trust namespace, every QName resolvable`, () => {
        const xml = soapFault(err, endpoint.trust, 'urn:uuid:request');
        const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
        const values = Array.from(root.getElementsByTagNameNS(SOAP, 'Value'));
        assert.equal(values.length, 2);
        const resolved = (v: (typeof values)[number]) => {
          const [prefix, local] = v.textContent!.split(':');
          return [v.lookupNamespaceURI(prefix!), local];
        };
        assert.deepEqual(resolved(values[0]!), [SOAP, 'Sender']);
        assert.deepEqual(resolved(values[1]!), [endpoint.trust.ns.uri, code]);
        // AD FS's own shape: `a` declared on the Subcode's s:Value.
        assert.equal(values[1]!.textContent, `a:${code}`);
        assert.equal(values[1]!.getAttributeNS('http://www.w3.org/2000/xmlns/', 'a'), endpoint.trust.ns.uri);
        const all = qnameValues(root);
        assert.ok(all.length >= 2);
        for (const q of all) assert.notEqual(q.uri, null, `${q.value} (${q.where}) resolves`);
      });
    }
  }

  it('is still read by MSAL Python as reason and code', async () => {
    const xml = soapFault(new FailedAuthentication('bad-password'), USERNAME_ENDPOINTS[0]!.trust, undefined);
    const script = 'import json,sys; from msal.wstrust_response import parse_error; print(json.dumps(parse_error(sys.stdin.read())))';
    const child = run('/usr/bin/python3', ['-c', script], { timeout: 30_000 });
    child.child.stdin?.end(xml);
    assert.deepEqual(JSON.parse((await child).stdout), { reason: 'ID3242: The security token could not be authenticated or authorized.', code: 'a:FailedAuthentication' });
  });
});
