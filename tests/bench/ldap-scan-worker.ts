/**
 * One scanner run in its own process, so its peak RSS is its own: prints
 * {"ms", "cpuMs", "users", "pages", "maxRssKiB", "rssBeforeKiB"} on stdout. Argument: JSON {url, caFile, bindDn, baseDn, searchBase, pageSize}.
 * The password comes in through SYNCDRIFT_BENCH_LDAP_PASSWORD (never on the command line).
 */
import { LdapDirectory } from '../../main/onprem/ldap';
import { parseOnPremProfile } from '../../main/core/onprem-profile';

const args = JSON.parse(process.argv[2] ?? '{}') as { url: string; caFile: string; bindDn: string; baseDn: string; searchBase: string; pageSize: number; repeat?: number };
const [source] = parseOnPremProfile({ url: args.url, caFile: args.caFile, bindDn: args.bindDn, baseDn: args.baseDn, searchBases: [args.searchBase], pageSize: args.pageSize });
if (!source) throw new Error('no source');
const dir = new LdapDirectory(source, { getPassword: async () => process.env.SYNCDRIFT_BENCH_LDAP_PASSWORD ?? '' });
// What the process holds before the scan (node, tsx, the modules): the scan's own share is the rest.
const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let users = 0;
let pages = 0;
// repeat > 1 streams the same users several times through one process: the memory a scan of
// repeat x users would need, without a DC that large (the per-scan GUID set aside).
for (let i = 0; i < (args.repeat ?? 1); i++) {
  for await (const page of dir.scan()) {
    users += page.length;
    pages++;
  }
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await dir.close();
process.stdout.write(JSON.stringify({ ms: Math.round(ms), users, pages, maxRssKiB: process.resourceUsage().maxRSS, rssBeforeKiB, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
