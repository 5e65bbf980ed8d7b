import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function electronErrors(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.message.includes("may import 'electron'"));
}

describe('the electron import boundary (lint rule)', () => {
  it.each([
    ["import { net } from 'electron';\nexport const x = net;", 'static import'],
    ["import { app } from 'electron/main';\nexport const x = app;", 'electron/main'],
    ["export const load = () => import('electron');", 'dynamic import()'],
    ["// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const e = require('electron');", 'require()'],
  ])('catches an electron import from main/cloud/: %s (%s)', async (code) => {
    expect(await electronErrors(code, 'main/cloud/graph-fetch.ts')).toHaveLength(1);
  });

  it('catches it in the renderer too', async () => {
    expect(
      await electronErrors("import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;", 'renderer/src/x.ts'),
    ).toHaveLength(1);
  });

  it('allows type-only imports (they vanish at build time)', async () => {
    expect(
      await electronErrors(
        "import type { BrowserWindow } from 'electron';\nexport type W = BrowserWindow;",
        'main/cloud/types.ts',
      ),
    ).toHaveLength(0);
  });

  it('allows main/electron/ and the Electron preload', async () => {
    expect(await electronErrors("import { app } from 'electron';\nexport const a = app;", 'main/electron/x.ts')).toHaveLength(0);
    expect(
      await electronErrors("import { contextBridge } from 'electron';\nexport const c = contextBridge;", 'preload/electron.ts'),
    ).toHaveLength(0);
  });
});

async function layerErrors(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'layers/downhill').map((m) => m.message);
}

describe('the floors (lint rule layers/downhill, docs/ARCHITECTURE.md)', () => {
  it.each([
    ["import { APP_NAME } from '../api/version';\nexport const n = APP_NAME;", 'main/evidence/package.ts', 'floor 4) must not import main/api'],
    ["import type { OnPremSource } from '../onprem/profile';\nexport type S = OnPremSource;", 'main/core/profile.ts', 'main/core (floor 0) must not import main/onprem'],
    ["export { thing } from '../workspace/store';", 'main/cloud/x.ts', 'share floor 3'],
    ["export const load = () => import('../remediation/engine');", 'main/drift/x.ts', 'must not import main/remediation'],
    ["import { x } from '../../../main/remediation/engine';\nexport const y = x;", 'renderer/src/components/x.tsx', 'renderer/ reaches the service only through preload/'],
    ["import { x } from '../main/remediation/engine';\nexport const y = x;", 'preload/contract.ts', 'preload/ may take only pure schemas'],
    ["import type { Envelope } from '../../preload/contract';\nexport type E = Envelope;", 'main/cloud/x.ts', 'only main/api, main/host and main/electron may import preload/contract'],
    ["import { x } from '../attic/x';\nexport const y = x;", 'main/core/x.ts', 'main/attic/ has no floor'],
  ])('refuses %s from %s', async (code, file, message) => {
    const errors = await layerErrors(code, file);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ["import { APP_NAME } from '../core/version';\nexport const n = APP_NAME;", 'main/evidence/package.ts'],
    ["import { x } from './plan';\nexport const y = x;", 'main/remediation/engine.ts'],
    ["import { createServices } from '../api/services';\nexport const c = createServices;", 'main/host/main.ts'],
    ["import type { Envelope } from '../../preload/contract';\nexport type E = Envelope;", 'main/electron/service-process.ts'],
    ["import { Plan } from '../main/remediation/plan-schema';\nexport const p = Plan;", 'preload/contract.ts'],
    ["import { api } from '../../preload/client';\nexport const a = api;", 'renderer/src/x.ts'],
  ])('allows %s from %s', async (code, file) => {
    expect(await layerErrors(code, file)).toEqual([]);
  });

  it('gives every folder under main/ a floor, and the picture in docs/ARCHITECTURE.md draws exactly those floors', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { FLOORS } = await import('../../scripts/eslint-layers.mjs');
    const rooms = readdirSync('main', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(rooms.filter((r) => !FLOORS.flat().includes(r))).toEqual([]);
    const doc = readFileSync('docs/ARCHITECTURE.md', 'utf8');
    const picture = /```text\n(?<body>[\s\S]*?)```/.exec(doc.slice(doc.indexOf('## The floors')))?.groups?.body ?? '';
    const drawn = [...picture.matchAll(/^\s*(\d+)\s+((?:main\/[a-z]+\/\s*)+)/gm)].map((m) => ({ floor: Number(m[1]), rooms: [...m[2]!.matchAll(/main\/([a-z]+)\//g)].map((r) => r[1]) }));
    expect(drawn.sort((x, y) => x.floor - y.floor).map((d) => d.rooms.sort())).toEqual(FLOORS.map((f) => [...f].sort()));
  });
});
