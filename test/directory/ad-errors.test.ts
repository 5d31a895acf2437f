import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bindFailureReason, bindSubCode } from '../../directory/ad-errors.js';

// Diagnostic texts as Windows Server AD sends them with invalidCredentials (49). Samba produces
// every one of these sub-codes itself except 525 (it answers 52e for an unknown DN); the
// integration tests cover the others against the real DC.
const adTexts: [string, string][] = [
  ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 525, v4563', 'no-such-user'],
  ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563', 'bad-password'],
  ['80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 530, v1db1', 'logon-hours'],
  ['80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 531, v1db1', 'workstation'],
  ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 532, v3839', 'password-expired'],
  ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 533, v3839', 'account-disabled'],
  ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 701, v4563', 'account-expired'],
  ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563', 'must-change-password'],
  ['80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563', 'locked-out'],
];

describe('AD bind error sub-codes', () => {
  for (const [text, reason] of adTexts) {
    it(`maps "${text.match(/data \w+/)?.[0]}" to ${reason}`, () => {
      assert.equal(bindFailureReason(49, text), reason);
    });
  }

  it('reads the sub-code in upper case too, as some DCs send it', () => {
    assert.equal(bindSubCode('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52E, v4563'), '52e');
  });

  it('treats invalidCredentials without a sub-code (a plain LDAP server) as a bad password', () => {
    assert.equal(bindFailureReason(49, 'Invalid credentials'), 'bad-password');
  });

  it('treats any other LDAP answer as the directory being unavailable, not the user failing', () => {
    assert.equal(bindFailureReason(53, '00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking'), 'directory-unavailable');
    assert.equal(bindFailureReason(49, '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 569, v4563'), 'bad-password');
  });
});
