import { AndFilter, EqualityFilter, OrFilter, PresenceFilter, type Filter } from 'ldapts';

/**
 * Every filter is built from ldapts filter classes, which escape values by construction
 * (RFC 4515): `*`, `)(`, NUL and the like in user input can only ever match themselves.
 */
const userClasses = [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })];

/** A user account: what every user lookup matches besides its own condition. */
export function isUser(): Filter {
  return new AndFilter({ filters: userClasses });
}

function userWith(condition: Filter): Filter {
  return new AndFilter({ filters: [...userClasses, condition] });
}

export function byUpn(upn: string): Filter {
  return userWith(new EqualityFilter({ attribute: 'userPrincipalName', value: upn }));
}

export function bySam(sam: string): Filter {
  return userWith(new EqualityFilter({ attribute: 'sAMAccountName', value: sam }));
}

/** Certificate mapping: SAN UPN → userPrincipalName, or an explicit altSecurityIdentities value. */
export function byCertificate(upn: string | undefined, altSecurityIdentity: string | undefined): Filter | null {
  const conditions: Filter[] = [];
  if (upn) conditions.push(new EqualityFilter({ attribute: 'userPrincipalName', value: upn }));
  if (altSecurityIdentity) conditions.push(new EqualityFilter({ attribute: 'altSecurityIdentities', value: altSecurityIdentity }));
  if (conditions.length === 0) return null;
  const [only] = conditions;
  return userWith(conditions.length === 1 && only ? only : new OrFilter({ filters: conditions }));
}

/** Groups whose objectSid is one of `sids` (binary), to name the SIDs of tokenGroups. */
export function groupsBySid(sids: Buffer[]): Filter {
  return new AndFilter({
    filters: [
      new EqualityFilter({ attribute: 'objectClass', value: 'group' }),
      new OrFilter({ filters: sids.map((sid) => new EqualityFilter({ attribute: 'objectSid', value: sid })) }),
    ],
  });
}

/** The rootDSE is read with a base search of the empty DN matching any entry (RFC 4512 §5.1). */
export function rootDse(): Filter {
  return new PresenceFilter({ attribute: 'objectClass' });
}

/** The crossRef of the domain naming context `nc` in CN=Partitions (MS-ADTS 6.1.1.2.1.1.5). */
export function domainCrossRef(nc: string): Filter {
  return new AndFilter({
    filters: [new EqualityFilter({ attribute: 'objectClass', value: 'crossRef' }), new EqualityFilter({ attribute: 'nCName', value: nc })],
  });
}
