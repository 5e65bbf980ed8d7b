export * from './normalize';
export * from './classify';
export * from './cause';
export * from './timeline';
export * from './audit';
export * from './engine';
export { considerCloudUser, isUnderAnyBase, normalizeDn, objectGuidToAnchor, rowKey } from './row-parts';
export * from './pipeline';
export * from './engine-verdict';
