// Types for scripts/system-packages.mjs (plain ESM so `npm test` runs it before any TypeScript tool).
export function declaredPackages(file?: string): { name: string; why: string }[];
export function missingPackages(names?: string[]): { missing: string[]; dpkgMissing: boolean };
export function installCommand(names: string[]): string;
export function ensureSystemPackages(opts?: { log?: (line: string) => void }): string | null;
