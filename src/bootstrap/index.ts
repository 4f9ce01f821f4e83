export {
  BootstrapError,
  countUsers,
  createInitialUser,
  type InitialUserInput,
  type InitialUserResult,
} from './initial-user.js';
export { resolvePlatformUuid } from './platform-uuid.js';
