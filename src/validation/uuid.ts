const CANONICAL_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Upstream treats a token's `auth_id` as a user only when it is a canonical lowercase v4 UUID (session
 * lists, the session limit, bus events); other backends' ids are opaque strings.
 */
export const isCanonicalV4 = (value: string): boolean => CANONICAL_V4.test(value);
