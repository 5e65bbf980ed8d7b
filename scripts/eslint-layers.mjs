// The house rule (docs/ARCHITECTURE.md, "The floors"): every import runs downhill. A room may import
// itself and any room on a lower floor, never a room on its own floor or above. Type-only imports
// count too: a type cycle is still a cycle a newcomer has to untangle.
import { dirname, join, normalize, relative } from 'node:path';

/** main/ rooms by floor, bottom first. Keep in step with the picture in docs/ARCHITECTURE.md. */
export const FLOORS = [
  ['core'],
  ['onprem', 'node'],
  ['drift', 'syncengine'],
  ['cloud', 'workspace'],
  ['sandbox', 'evidence'],
  ['remediation'],
  ['api'],
  ['cli', 'host', 'electron'],
];

/** What preload/ may take from main/: pure schemas the renderer and the service share. */
const PRELOAD_MAY_IMPORT = [/^main\/core\//, /^main\/remediation\/plan-schema(\.ts)?$/];
/** Only the contract may be imported by main/ from preload/, and only by the floors that serve it. */
const CONTRACT = /^preload\/contract(\.ts)?$/;
const SERVES_CONTRACT = new Set(['api', 'electron', 'host']);

const floorOf = new Map(FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor])));

/** 'main/<room>/…' → { area: 'main', room }, 'renderer/…' → { area: 'renderer' }, …; null outside. */
export function place(path) {
  const p = path.split('\\').join('/');
  const m = /^main\/([^/]+)\//.exec(p);
  if (m) return { area: 'main', room: m[1] };
  for (const area of ['renderer', 'preload']) if (p.startsWith(`${area}/`)) return { area };
  return null;
}

/** Why importing `target` from `from` (both repo-relative) breaks the rule, or null. */
export function violation(from, target) {
  const a = place(from);
  const b = place(target);
  if (!a || !b) return null;
  if (a.area === 'renderer') {
    return b.area === 'main' ? `renderer/ reaches the service only through preload/ (the contract): '${target}'` : null;
  }
  if (a.area === 'preload') {
    if (b.area === 'renderer') return `preload/ must not import the renderer: '${target}'`;
    if (b.area === 'main' && !PRELOAD_MAY_IMPORT.some((r) => r.test(target))) {
      return `preload/ may take only pure schemas from main/ (main/core, main/remediation/plan-schema), not '${target}'`;
    }
    return null;
  }
  // a is main/<room>
  if (b.area === 'renderer') return `main/ must not import the renderer: '${target}'`;
  if (b.area === 'preload') {
    return CONTRACT.test(target) && SERVES_CONTRACT.has(a.room)
      ? null
      : `only main/api, main/host and main/electron may import preload/contract, not main/${a.room} ('${target}')`;
  }
  if (a.room === b.room) return null;
  const fa = floorOf.get(a.room);
  const fb = floorOf.get(b.room);
  if (fa === undefined) return `main/${a.room}/ has no floor: add it to FLOORS in scripts/eslint-layers.mjs and the picture in docs/ARCHITECTURE.md`;
  if (fb === undefined) return `main/${b.room}/ has no floor: add it to FLOORS in scripts/eslint-layers.mjs and the picture in docs/ARCHITECTURE.md`;
  if (fb < fa) return null;
  return fb === fa
    ? `main/${a.room} and main/${b.room} share floor ${fa}: rooms on one floor do not import each other (move the shared part down)`
    : `main/${a.room} (floor ${fa}) must not import main/${b.room} (floor ${fb}): arrows run downhill only`;
}

const downhill = {
  meta: { type: 'problem', docs: { description: 'imports run downhill through the floors of docs/ARCHITECTURE.md' }, schema: [] },
  create(context) {
    const cwd = context.cwd ?? process.cwd();
    const file = relative(cwd, context.filename ?? context.getFilename());
    function check(node, source) {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = normalize(join(dirname(file), source.value)).split('\\').join('/');
      const why = violation(file.split('\\').join('/'), target);
      if (why) context.report({ node: source, message: why });
    }
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
    };
  },
};

export default { rules: { downhill } };
