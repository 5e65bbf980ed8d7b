/**
 * Argument parsing for `syncdrift`: node:util parseArgs per command, then validation that names
 * the bad flag. Every problem is a ValidationError (exit 2) whose field is the flag, e.g. `--format`.
 */
import { parseArgs } from 'node:util';
import { ValidationError } from '../core/errors';

export const FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof FORMATS)[number];

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

const OUTPUT_OPTIONS = {
  all: { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  workspace: { type: 'string' },
  'no-save': { type: 'boolean' },
  'fail-on-drift': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies Record<string, OptionSpec>;

export const COMMANDS = {
  demo: { options: { ...OUTPUT_OPTIONS }, positionals: 0, summary: 'scan the built-in sandbox demo (no credentials) and print the table' },
  scan: { options: { ...OUTPUT_OPTIONS, profile: { type: 'string' }, 'connect-export': { type: 'string', multiple: true } }, positionals: 0, summary: 'live scan of AD and Entra ID with a profile' },
  import: {
    options: { ...OUTPUT_OPTIONS, profile: { type: 'string' }, ldif: { type: 'string' }, adcsv: { type: 'string' }, 'graph-json': { type: 'string' }, 'audit-json': { type: 'string' }, 'connect-export': { type: 'string', multiple: true }, region: { type: 'string' } },
    positionals: 0,
    summary: 'the same scan from offline exports (LDIF or export-kit CSV, and Graph JSON)',
  },
  'export-kit': { options: { out: { type: 'string' }, 'base-dn': { type: 'string' }, server: { type: 'string' } }, positionals: 0, summary: 'write the commands a customer runs to produce the exports' },
  purge: { options: { 'older-than': { type: 'string' }, workspace: { type: 'string' } }, positionals: 0, summary: 'delete scans and audit data older than a duration (30d, 12h, P90D)' },
  'export-workspace': {
    options: { out: { type: 'string' }, scan: { type: 'string' }, 'no-mask': { type: 'boolean' }, workspace: { type: 'string' } },
    positionals: 0,
    summary: 'write the workspace (or one scan) to one file, phone numbers masked unless --no-mask',
  },
  'import-workspace': { options: { workspace: { type: 'string' } }, positionals: 1, summary: 'read a file written by export-workspace into this workspace' },
} as const satisfies Record<string, { options: Record<string, OptionSpec>; positionals: number; summary: string }>;

export type CommandName = keyof typeof COMMANDS;

export interface CommonOutput {
  all: boolean;
  format: OutputFormat;
  out: string | null;
  workspace: string | null;
  save: boolean;
  failOnDrift: boolean;
  quiet: boolean;
}

export type ParsedCommand =
  | { command: 'help'; topic: CommandName | null }
  | { command: 'version' }
  | ({ command: 'demo' } & CommonOutput)
  | ({ command: 'scan'; profile: string; connectExports: string[] } & CommonOutput)
  | ({ command: 'import'; profile: string | null; ldif: string | null; adcsv: string | null; graphJson: string; auditJson: string | null; connectExports: string[]; region: string | null } & CommonOutput)
  | { command: 'export-kit'; out: string; baseDn: string | null; server: string | null }
  | { command: 'purge'; olderThan: string; workspace: string | null }
  | { command: 'export-workspace'; out: string; scan: string | null; mask: boolean; workspace: string | null }
  | { command: 'import-workspace'; file: string; workspace: string | null };

/** The `--connect-export` files (repeatable) of parsed options, each a non-empty name. */
export function connectExportsOf(v: Record<string, unknown>): string[] {
  const raw = v['connect-export'];
  const list = Array.isArray(raw) ? (raw as unknown[]) : [];
  list.forEach((f, i) => {
    if (typeof f !== 'string' || f.trim() === '') throw new ValidationError('--connect-export', `needs a file name (occurrence ${i + 1} is empty)`);
  });
  return list as string[];
}

function isCommand(s: string): s is CommandName {
  return Object.hasOwn(COMMANDS, s);
}

type Values = Record<string, string | boolean | undefined>;

const str = (v: Values, k: string): string | null => {
  const x = v[k];
  if (x === undefined) return null;
  if (typeof x !== 'string' || x.trim() === '') throw new ValidationError(`--${k}`, 'needs a value');
  return x;
};
const need = (v: Values, k: string, what: string): string => {
  const x = str(v, k);
  if (x === null) throw new ValidationError(`--${k}`, `is required (${what})`);
  return x;
};

function output(v: Values): CommonOutput {
  const format = (str(v, 'format') ?? 'table').toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) throw new ValidationError('--format', `'${format}' is not one of ${FORMATS.join(', ')}`);
  return {
    all: v.all === true,
    format: format as OutputFormat,
    out: str(v, 'out'),
    workspace: str(v, 'workspace'),
    save: v['no-save'] !== true,
    failOnDrift: v['fail-on-drift'] === true,
    quiet: v.quiet === true,
  };
}

/** Parses argv (without node and script); throws ValidationError naming the flag. */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' && rest[0] && isCommand(rest[0]) ? rest[0] : null;
    return { command: 'help', topic };
  }
  if (first === '--version' || first === '-v' || first === 'version') return { command: 'version' };
  if (!isCommand(first)) throw new ValidationError('command', `unknown command '${first}': use one of ${Object.keys(COMMANDS).join(', ')} (syncdrift --help)`);
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help', topic: first };
  const spec = COMMANDS[first];
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...rest], options: spec.options as Record<string, OptionSpec>, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const flag = /'(-{1,2}[^'\s]+)/.exec(msg)?.[1] ?? /option "?(-{1,2}[\w-]+)/i.exec(msg)?.[1] ?? 'arguments';
    const unknown = /Unknown option/i.test(msg);
    const text = unknown ? `unknown option for '${first}' (syncdrift help ${first})` : /argument missing/i.test(msg) ? 'needs a value' : /does not take an argument/i.test(msg) ? 'is a switch and takes no value' : msg.replace(/\. To specify.*$/s, '');
    throw new ValidationError(flag.replace(/[,=].*$/, ''), text, { cause: e, code: 'USAGE' });
  }
  if (positionals.length > spec.positionals) throw new ValidationError(positionals[spec.positionals]!, `unexpected argument for '${first}'`, { code: 'USAGE' });

  switch (first) {
    case 'demo':
      return { command: 'demo', ...output(values) };
    case 'scan':
      return { command: 'scan', profile: need(values, 'profile', 'the connection profile JSON'), connectExports: connectExportsOf(values), ...output(values) };
    case 'import': {
      const ldif = str(values, 'ldif');
      const adcsv = str(values, 'adcsv');
      if (ldif && adcsv) throw new ValidationError('--adcsv', 'give either --ldif or --adcsv, not both');
      if (!ldif && !adcsv) throw new ValidationError('--ldif', 'is required: the AD export (--ldif FILE from ldifde, or --adcsv FILE from the export kit)');
      const region = str(values, 'region');
      if (region !== null && !/^[A-Za-z]{2}$/.test(region)) throw new ValidationError('--region', `'${region}' is not a two-letter region such as US or DE`);
      return {
        command: 'import',
        profile: str(values, 'profile'),
        ldif,
        adcsv,
        graphJson: need(values, 'graph-json', 'the Entra ID users export'),
        auditJson: str(values, 'audit-json'),
        connectExports: connectExportsOf(values),
        region: region?.toUpperCase() ?? null,
        ...output(values),
      };
    }
    case 'export-kit':
      return { command: 'export-kit', out: need(values, 'out', 'the folder to write the kit into'), baseDn: str(values, 'base-dn'), server: str(values, 'server') };
    case 'purge':
      return { command: 'purge', olderThan: need(values, 'older-than', 'a duration such as 90d'), workspace: str(values, 'workspace') };
    case 'export-workspace':
      return { command: 'export-workspace', out: need(values, 'out', 'the file to write'), scan: str(values, 'scan'), mask: values['no-mask'] !== true, workspace: str(values, 'workspace') };
    case 'import-workspace': {
      const file = positionals[0];
      if (!file) throw new ValidationError('FILE', "is required: the file written by 'syncdrift export-workspace'", { code: 'USAGE' });
      return { command: 'import-workspace', file, workspace: str(values, 'workspace') };
    }
  }
}

export function usage(topic: CommandName | null): string {
  if (topic) {
    const spec = COMMANDS[topic];
    const opts = Object.entries(spec.options)
      .map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}`)
      .join('\n');
    return `syncdrift ${topic}${spec.positionals ? ' FILE' : ''}: ${spec.summary}\n\nOptions:\n${opts}\n`;
  }
  const cmds = Object.entries(COMMANDS)
    .map(([k, s]) => `  ${k.padEnd(17)} ${s.summary}`)
    .join('\n');
  return [
    'Usage: syncdrift COMMAND [options]',
    '',
    'Commands:',
    cmds,
    '',
    'Output options (demo, scan, import): --format table|json|csv, --out FILE, --all (include in-sync rows),',
    '  --fail-on-drift (exit 5 when rows need attention), --workspace FILE, --no-save, --quiet',
    '',
    'Also: sandbox, plan, apply, sessions, resume, undo, evidence, verify-evidence, provision-on-demand, secret-storage (each with --help).',
    '',
    'Environment: SYNCDRIFT_HOME (workspace folder), SYNCDRIFT_KEEP_SIGN_IN=1 (keep a device-code or',
    '  interactive sign-in beside the workspace for the next commands; needs --accept-weak-secret-storage',
    '  once, because the key file beside the workspace protects it from nobody who can read the workspace;',
    '  `syncdrift secret-storage` shows the store and the consent; see docs/cli.md).',
    '',
    'Exit codes: 0 done, 1 unexpected error (log path printed), 2 usage or profile error,',
    '  3 connection or sign-in error, 4 finished with partial data, 5 drift found with --fail-on-drift.',
    'See docs/cli.md.',
    '',
  ].join('\n');
}
