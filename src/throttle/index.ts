import { DEFAULT_THROTTLE, type ThrottleSettings } from './login-throttle.js';

export type { Outcome } from './counters.js';
export { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings, type Ticket } from './login-throttle.js';

/** The `login_throttle` configuration section, as the YAML spells it (every key optional). */
export interface LoginThrottleConfig {
  enabled?: boolean;
  max_entries?: number;
  username?: {
    failures?: number;
    window_seconds?: number;
    backoff_seconds?: number;
    max_backoff_seconds?: number;
  };
  address?: { failures?: number; window_seconds?: number };
}

/** Settings from the configuration section, defaults filling what it leaves out. */
export function throttleSettings(section: LoginThrottleConfig | undefined): ThrottleSettings {
  const d = DEFAULT_THROTTLE;
  const u = section?.username ?? {};
  const a = section?.address ?? {};
  return {
    enabled: section?.enabled ?? d.enabled,
    maxEntries: section?.max_entries ?? d.maxEntries,
    username: {
      failures: u.failures ?? d.username.failures,
      windowSeconds: u.window_seconds ?? d.username.windowSeconds,
      backoffSeconds: u.backoff_seconds ?? d.username.backoffSeconds,
      maxBackoffSeconds: u.max_backoff_seconds ?? d.username.maxBackoffSeconds,
    },
    address: {
      failures: a.failures ?? d.address.failures,
      windowSeconds: a.window_seconds ?? d.address.windowSeconds,
    },
  };
}
