// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import layers from './scripts/eslint-layers.mjs';

/**
 * The import boundary: `require('electron')` from plain Node starts a synchronous binary download
 * that fails offline, so only main/electron/ and the Electron preload may import it. Type-only
 * imports are fine anywhere (they vanish at build time).
 */
const ELECTRON_MESSAGE =
  "Only main/electron/ and preload/electron.ts may import 'electron' (plain Node would try to download the binary). Use `import type` or a port.";
export const electronBoundary = {
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'electron', message: ELECTRON_MESSAGE, allowTypeImports: true }],
      patterns: [{ group: ['electron/*'], message: ELECTRON_MESSAGE, allowTypeImports: true }],
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "ImportExpression[source.value=/^electron(\\u002F.*)?$/]",
      message: ELECTRON_MESSAGE,
    },
    {
      selector: "CallExpression[callee.name='require'][arguments.0.value=/^electron(\\u002F.*)?$/]",
      message: ELECTRON_MESSAGE,
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', '.cache/**', 'coverage/**', 'tests/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...electronBoundary,
    },
  },
  {
    // The floors of docs/ARCHITECTURE.md: imports run downhill only.
    files: ['main/**/*.ts', 'preload/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    plugins: { layers },
    rules: { 'layers/downhill': 'error' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    // The two places that run inside Electron.
    files: ['main/electron/**/*.ts', 'preload/electron.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    files: ['scripts/**/*.{js,mjs}'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
