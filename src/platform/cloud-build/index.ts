export { type CloudBuildAdapter, type CloudBuildOptions, createCloudBuild } from './builds.ts';
