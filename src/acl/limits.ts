/**
 * Bounds on ACL text (issue #18). The matcher is linear whatever its input (see `compile.ts`); these
 * bounds keep the constant small and are far above anything a real Wazo ACL uses (entries are under
 * 100 characters with a handful of wildcards). Lengths are in UTF-16 code units (`string.length`), the
 * unit the matcher's cost is measured in.
 */

/** Longest ACL entry (a leading `!` included) a policy may be given: longer ones are refused with a 400. */
export const MAX_ACL_ENTRY_LENGTH = 1024;

/** Most `*` and `#` characters an ACL entry may contain: more are refused with a 400. */
export const MAX_ACL_ENTRY_WILDCARDS = 32;

/**
 * Longest required access the matcher considers: a longer one (a `?scope=` or a route's rendered ACL) is
 * simply not granted, whatever the token's ACL. Above any request line Node accepts (16 KiB of headers),
 * so no route can reach it; it bounds the matcher's work for callers that pass arbitrary strings.
 */
export const MAX_REQUIRED_ACCESS_LENGTH = 16_384;

/** Why `entry` may not be stored as an ACL entry, or `undefined` when it may. */
export function aclEntryProblem(entry: string): string | undefined {
  if (entry.length > MAX_ACL_ENTRY_LENGTH) {
    return `ACL entry longer than ${MAX_ACL_ENTRY_LENGTH} characters`;
  }
  let wildcards = 0;
  for (let i = 0; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    if (c === 42 || c === 35) wildcards++;
  }
  if (wildcards > MAX_ACL_ENTRY_WILDCARDS) {
    return `ACL entry with more than ${MAX_ACL_ENTRY_WILDCARDS} wildcards (* and #)`;
  }
  return undefined;
}

/** Whether `entry` respects the write-time bounds. */
export function isValidAclEntry(entry: string): boolean {
  return aclEntryProblem(entry) === undefined;
}
