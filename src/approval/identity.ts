/**
 * One canonical form for people's identities. A requester `Bob` must not approve as `bob`, nor as
 * `ｂｏｂ` (fullwidth), nor with a trailing space: every comparison between a requester, an approver
 * and a vote already counted goes through this.
 */
export function canonicalIdentity(identity: string): string {
  return identity.normalize('NFKC').trim().toLowerCase();
}

export function sameIdentity(a: string, b: string): boolean {
  return canonicalIdentity(a) === canonicalIdentity(b);
}

/** True when any of a person's known names (identifier, Slack id, email) is `requester`. */
export function isRequester(requester: string, names: readonly (string | undefined)[]): boolean {
  const wanted = canonicalIdentity(requester);
  return names.some((name) => name !== undefined && canonicalIdentity(name) === wanted);
}
