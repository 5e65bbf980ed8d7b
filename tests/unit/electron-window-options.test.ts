import { describe, expect, it } from 'vitest';
import { createWindowOptions } from '../../main/electron/window-options';

describe('the BrowserWindow options factory', () => {
  const o = createWindowOptions({ preload: '/app/dist/electron/preload.cjs' });
  const wp = o.webPreferences!;
  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['webviewTag', false],
    ['navigateOnDragDrop', false],
  ] as const)('sets %s to %s', (key, value) => {
    expect(wp[key]).toBe(value);
  });
  it('loads the bundled CommonJS preload', () => {
    expect(wp.preload).toBe('/app/dist/electron/preload.cjs');
  });
  it('keeps devtools off unless asked (release builds)', () => {
    expect(wp.devTools).toBe(false);
    expect(createWindowOptions({ preload: 'p', devTools: true }).webPreferences!.devTools).toBe(true);
  });
  it('never restores a window smaller than the layout needs', () => {
    const small = createWindowOptions({ preload: 'p', state: { width: 300, height: 200 } });
    expect(small.width).toBe(1024);
    expect(small.height).toBe(640);
  });
});
