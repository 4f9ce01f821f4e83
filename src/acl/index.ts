export {
  type AclContext,
  type CompiledEntry,
  clearCompileCache,
  compileEntry,
  EntryCompiler,
  type EntryTest,
  escapeRegExp,
  testEntry,
} from './compile.js';
export { AclMatcher, allows } from './matcher.js';
export { compileTemplate, type RequiredAclRenderer, renderRequiredAcl } from './required.js';
