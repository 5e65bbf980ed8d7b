import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

// The renderer build. Relative base so the same bundle works from app:// and from the loopback host.
export default defineConfig({
  root: resolve(import.meta.dirname, 'renderer'),
  base: './',
  publicDir: resolve(import.meta.dirname, 'renderer/public'),
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    // No inline scripts or styles: the CSP forbids them.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'chrome128',
  },
});
