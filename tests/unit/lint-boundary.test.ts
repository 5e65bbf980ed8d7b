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
