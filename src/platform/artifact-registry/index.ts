export { ArtifactRegistryAdapter, type ArtifactRegistryOptions } from './adapter.ts';
export { type ImageRef, parseImageRef } from './image-ref.ts';
