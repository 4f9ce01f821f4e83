import { type Config, configSchema } from '../config/schema.js';
import type { ThrottleSettings } from './login-throttle.js';

export type { Outcome } from './counters.js';
export { LoginThrottle, type ThrottleSettings, type Ticket } from './login-throttle.js';

/** The `login_throttle` configuration section (validated, defaults filled), in the throttle's terms. */
export function throttleSettings(section: Config['login_throttle']): ThrottleSettings {
  return {
    enabled: section.enabled,
    maxEntries: section.max_entries,
    username: {
      failures: section.username.failures,
      windowSeconds: section.username.window_seconds,
      backoffSeconds: section.username.backoff_seconds,
      maxBackoffSeconds: section.username.max_backoff_seconds,
    },
    address: { failures: section.address.failures, windowSeconds: section.address.window_seconds },
  };
}

/**
 * The defaults, from the configuration schema that holds them (a targeted account is slowed after 10
 * failures; a whole office behind one NAT is not).
 */
export const DEFAULT_THROTTLE: ThrottleSettings = throttleSettings(configSchema.parse({}).login_throttle);
export { type BudgetPolicy, KeyedBudget } from './budget.js';
export { keyOf } from './keys.js';
