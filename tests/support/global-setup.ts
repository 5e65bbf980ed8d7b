/**
 * Integration global setup. Real components are started by the suites that need them (the Samba DC
 * harness in tests/support/samba.ts, the sandbox tenant in-process); this hook says once, loudly,
 * when the Samba suites will be skipped (the only allowed reason: not root).
 */
import { sambaSkipReason } from './samba';

export default function setup(): void {
  process.env.SYNCDRIFT_TEST = '1';
  const skip = sambaSkipReason();
  if (skip) {
    const bar = '!'.repeat(100);
    console.warn(`\n${bar}\n!! SKIPPING every Samba AD DC suite: ${skip}.\n!! Run npm test as root to run them; the summary counts them as skipped.\n${bar}\n`);
  }
}
