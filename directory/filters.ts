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

/** Certificate mapping: a user whose altSecurityIdentities holds one of `values` (each escaped, RFC 4515). */
export function byAltSecurityIdentities(values: string[]): Filter {
  return userWith(new OrFilter({ filters: values.map((value) => new EqualityFilter({ attribute: 'altSecurityIdentities', value })) }));
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

/** A fine-grained password policy (PSO) object. */
export function passwordSettings(): Filter {
  return new EqualityFilter({ attribute: 'objectClass', value: 'msDS-PasswordSettings' });
}
