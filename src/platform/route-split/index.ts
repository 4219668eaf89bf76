export { createRouteSplit, type RouteSplitOptions } from './route-split.ts';
