export {
  type AclContext,
  type CompiledEntry,
  compileEntry,
  EntryCompiler,
  type EntryTest,
  escapeRegExp,
  testEntry,
} from './compile.js';
export { AclMatcher, allows, CompiledAcl, clearCompileCache, compileAcl } from './matcher.js';
export { compileTemplate, type RequiredAclRenderer, renderRequiredAcl } from './required.js';
