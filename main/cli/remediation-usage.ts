/** The usage texts of `syncdrift plan | apply | sessions | resume | undo` (remediation-commands.ts). */
export const PLAN_USAGE = `Usage: syncdrift plan --report FILE --decide STATUS=ACTION [--decide ...] [--users LIST]
                      [--others STATUS=ACTION ...] [--workspace W] [--connect-server NAME]
                      [--replica-dc NAME ...] [--cloud-sync] --out PLAN

Builds a remediation plan (JSON) from a drift report and decisions, with the blast radius.

  --report FILE      a drift report (syncdrift scan --format json)
  --decide S=A       action A for rows of status S in the selection; A is keep-onprem, keep-cloud,
                     support-case, skip, or suggested (the timeline's suggestion); repeatable
  --users LIST       the selection: UPNs, comma-separated or @FILE (one a line); default every row
  --others S=A       decisions for rows outside --users (the bypass's blast radius needs them)
  --connect-server   the Entra Connect server's name (shown in the next-step instructions)
  --replica-dc DC    a DC the Connect server reads (ldaps:// URL for LDAP profiles): AD writes must
                     show there first; repeatable; default the profile's DC and its replicaDcs
  --cloud-sync       the tenant uses Entra Cloud Sync (restart the job instead of a cycle)
  --workspace W      the workspace whose key signs the plan and whose journal apply/resume/undo use
  --out PLAN         the plan file to write

Exit codes: 0 written (and ready), 8 written but blocked (undecided blast-radius rows), 2 usage error.
`;

export const APPLY_USAGE = `Usage: syncdrift apply PLAN [--dry-run] [--yes] [--accept-unscanned N|unknown] [--profile P] [--workspace W]
                     [--connect-export FILE ...]

Preflight (permissions, connectivity, fresh re-read of every value; changed rows become conflicts),
then the writes in order, the journal, and verification. --dry-run shows the plan and its blast
radius and writes nothing. Without --yes it asks on a terminal and refuses otherwise.
The plan's integrity check is verified first, with the key of --workspace (the workspace it was
planned with): a plan changed after syncdrift plan wrote it, unsigned, or signed by another
workspace is refused (exit 2) and nothing is written.
  --accept-unscanned N   a plan that turns on the tenant-wide bypass also changes synced users the
                 scan did not read (other OUs, other forests): its "NOT SCANNED" line says how many.
                 Apply refuses (exit 8) until you accept that number (or "unknown" where the plan
                 has no count); preflight counts them again over Graph and refuses when there are
                 more. After the cycle the whole tenant is read again: every one that changed is
                 counted, and up to 500 are named.
  --connect-export FILE  the Entra Connect exports (repeatable) the preflight's fresh scan joins, as
                 \`scan --connect-export\` did: without them the users a sync rule reformats read
                 as new drift. Default: the exports the workspace read last, when all are unchanged.
                 A Cloud Sync profile's fresh scan reads Cloud Sync's view over Graph instead.

Exit codes: 0 done and verified, 7 waiting (next step printed; resume later), 8 refused
(preflight, conflicts, undecided rows, no confirmation), 2 usage, 3 sign-in/permission, 1 unexpected.
`;

export const SESSIONS_USAGE = `Usage: syncdrift sessions [--workspace W] [--json]

Lists the remediation sessions of the workspace; one interrupted by a crash shows as "interrupted".
`;

export const TAKE_OVER_USAGE = `  --take-over    take over a session whose owner runs on another machine (it is assumed alive, since
                 nothing here can check it, so the session waits for it otherwise). If that machine
                 is still running the session, both may write. Asks first; without a terminal it
                 needs --yes. Recorded in the journal's takeover entry as forced by the admin. An
                 owner on this machine is checked, never overridden.`;

export const RESUME_USAGE = `Usage: syncdrift resume SESSION [--cycle-done] [--replicated] [--take-over [--yes]] [--profile P] [--workspace W]

Continues a session: re-reads every uncertain write before deciding whether it took effect.
  --cycle-done   the full sync cycle has finished (answers the question without a terminal)
  --replicated   the AD writes have reached the Connect server's DC
${TAKE_OVER_USAGE}
`;

export const UNDO_USAGE = `Usage: syncdrift undo SESSION [--yes] [--take-over] [--turn-bypass-off] [--restore-out PLAN] [--profile P] [--workspace W]

Restores AD values (compare-and-set) and per-user cloud values, and lists values the bypass erased;
--restore-out writes them as a plan of AD writes. The bypass this session turned on is left on:
turning it off restores no value and may let the per-object overrides win again.
  --turn-bypass-off  turn BypassDirSyncOverrides off anyway, if this session turned it on (run undo
                     again with it later to do only that)
${TAKE_OVER_USAGE}
`;
