import { empty } from '../http/request.js';
import type { Route } from '../http/route.js';

/** A part of the server whose health `HEAD /status` reports. */
export interface StatusComponent {
  name: string;
  ok(): boolean;
}

/** `HEAD /status`: 200 when every component is ok, 503 otherwise; no GET, as upstream. */
export function statusRoutes(components: readonly StatusComponent[]): Route[] {
  return [
    {
      method: 'HEAD',
      path: '/status',
      handle: () => empty(components.every((component) => component.ok()) ? 200 : 503),
    },
  ];
}
