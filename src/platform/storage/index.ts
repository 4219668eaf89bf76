export { createStorageObjects, type StorageObjectsOptions } from './newest-object.ts';
