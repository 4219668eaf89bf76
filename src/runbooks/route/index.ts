export {
  type ChangeResult,
  createRouteControl,
  ROUTE_AUDIT,
  type RouteCheck,
  type RouteConflict,
  type RouteControl,
  type RouteStatusResult,
  type RouteView,
  type SetBy,
} from './control.ts';
export type { RouteAsk, RouteChange, RouteDecision, RouteRequest } from './requests.ts';
