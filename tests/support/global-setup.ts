/**
 * Integration global setup. Real components are started by the suites that need them (the Samba DC
 * harness in tests/support/samba.ts, the sandbox tenant in-process); this hook only makes sure
 * leftovers of a crashed run do not leak into this one.
 */
export default function setup(): void {
  process.env.SYNCDRIFT_TEST = '1';
}
