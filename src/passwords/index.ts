export {
  hashPassword,
  hashPasswordPbkdf2,
  type StoredPassword,
  type Verification,
  verifyNothing,
  verifyPassword,
} from './hash.js';
