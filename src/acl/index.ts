export {
  type AclContext,
  type CompiledEntry,
  type ContextualTest,
  compileEntry,
  EntryCompiler,
  type EntryTest,
  escapeRegExp,
  testEntry,
} from './compile.js';
export {
  aclEntryProblem,
  isValidAclEntry,
  MAX_ACL_ENTRY_LENGTH,
  MAX_ACL_ENTRY_WILDCARDS,
  MAX_REQUIRED_ACCESS_LENGTH,
} from './limits.js';
export { AclMatcher, allows, CompiledAcl, clearCompileCache, compileAcl } from './matcher.js';
export { compileTemplate, type RequiredAclRenderer, renderRequiredAcl } from './required.js';
