const DAY_MS = 86_400_000;

/** Whole days a certificate has left at `now`, rounded down: 0 on its last day, negative once expired. */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}
