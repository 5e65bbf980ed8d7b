export const FLOORS: string[][];
export function place(path: string): { area: 'main'; room: string } | { area: 'renderer' | 'preload' } | null;
export function violation(from: string, target: string): string | null;
declare const plugin: { rules: Record<string, unknown> };
export default plugin;
