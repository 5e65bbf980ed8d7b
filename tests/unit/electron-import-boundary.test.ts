/**
 * The electron import boundary on the real tree (lint-boundary.test.ts checks the lint rule on
 * snippets; this checks the files): outside main/electron/ and preload/electron.ts no module imports
 * `electron` at runtime, and the main/electron modules the unit tests load (the wiring, the relay, the
 * pure guards) reach no runtime electron import through their relative imports either.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();
const SCAN = ['main', 'preload', 'renderer', 'tests', 'scripts'];
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const ELECTRON = /^electron(\/.*)?$/;

/** Modules in main/electron/ that must load under plain Node (the unit tests import them). */
const PLAIN_NODE = ['wiring.ts', 'service-port.ts', 'service-host.ts', 'guards.ts', 'window-options.ts', 'app-request.ts'].map((f) => `main/electron/${f}`);
const MAY_IMPORT = (rel: string) => (rel.startsWith('main/electron/') && !PLAIN_NODE.includes(rel)) || rel === 'preload/electron.ts';

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Imports {
  runtimeElectron: string[];
  relative: string[];
}

/** Runtime imports of a file: import/export declarations that are not type-only, import(), require(). */
function importsOf(code: string, fileName: string): Imports {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true);
  const runtime: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) runtime.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) runtime.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) runtime.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { runtimeElectron: runtime.filter((s) => ELECTRON.test(s)), relative: runtime.filter((s) => s.startsWith('.')) };
}

function resolveRelative(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

const files = SCAN.flatMap((d) => walk(join(ROOT, d)));
const rel = (p: string) => relative(ROOT, p).split(sep).join('/');
const parsed = new Map(files.map((f) => [f, importsOf(readFileSync(f, 'utf8'), f)]));

describe('the electron import boundary on the real tree', () => {
  it('scans the tree (the walk found the modules it must judge)', () => {
    const names = files.map(rel);
    for (const f of ['main/electron/main.ts', 'main/electron/wiring.ts', 'main/api/services.ts', 'preload/electron.ts', 'renderer/src/main.tsx'])
      expect(names, f).toContain(f);
  });

  it('finds the runtime imports it must find (the main process does import electron)', () => {
    expect(parsed.get(join(ROOT, 'main/electron/main.ts'))!.runtimeElectron).toEqual(['electron']);
    expect(parsed.get(join(ROOT, 'preload/electron.ts'))!.runtimeElectron).toEqual(['electron']);
  });

  it('tells runtime imports from type-only ones', () => {
    expect(importsOf("import type { App } from 'electron';\nimport { type Session } from 'electron';", 'a.ts').runtimeElectron).toEqual([]);
    for (const code of [
      "import { app } from 'electron';",
      "import { type App, app } from 'electron';",
      "import 'electron';",
      "import * as e from 'electron';",
      "export { app } from 'electron/main';",
      "const e = await import('electron');",
      "const e = require('electron');",
    ])
      expect(importsOf(code, 'a.ts').runtimeElectron, code).toHaveLength(1);
  });

  it('no module outside main/electron/ and preload/electron.ts imports electron at runtime', () => {
    const offenders = files.filter((f) => !MAY_IMPORT(rel(f)) && parsed.get(f)!.runtimeElectron.length > 0).map(rel);
    expect(offenders).toEqual([]);
  });

  it.each(PLAIN_NODE)('%s reaches no runtime electron import through its relative imports', (start) => {
    const seen = new Set<string>();
    const reached: string[] = [];
    const queue = [join(ROOT, start)];
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      const imports = parsed.get(f) ?? importsOf(readFileSync(f, 'utf8'), f);
      if (imports.runtimeElectron.length) reached.push(rel(f));
      for (const spec of imports.relative) {
        const next = resolveRelative(f, spec);
        if (next) queue.push(next);
      }
    }
    expect(seen.size).toBeGreaterThan(0);
    expect(reached).toEqual([]);
  });
});
