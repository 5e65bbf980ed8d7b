export * from './plan-schema';
export * from './plan-integrity';
export * from './plan';
export * from './decisions';
export * from './journal';
export * from './ports';
export * from './engine';
export { sandboxCloudPort, type SandboxCloudOptions } from './sandbox-cloud';
export { workspaceJournalStore } from './journal-workspace';
