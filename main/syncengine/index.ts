export * from './records';
export * from './connector-space';
export * from './sync-rules';
export * from './run-history';
export * from './connect';
export * from './cloud-sync';
export * from './xml-reader';
export * from './connect-files';
