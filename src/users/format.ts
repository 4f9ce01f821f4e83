import type { Email, User } from '../entities/index.js';
import type { Json } from '../http/errors.js';

type JsonObject = { [key: string]: Json };

/** A type alias, not an interface, so that it stays assignable to `Json`. */
type UserJson = {
  uuid: string;
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: string;
  authentication_method: string;
  enabled: boolean | null;
  tenant_uuid: string;
  emails: Json[];
};

function emailJson(email: Email): JsonObject {
  return { uuid: email.uuid, address: email.address, main: email.main, confirmed: email.confirmed };
}

/** The main address first, then by address: the stored rows have no order of their own. */
function emailsJson(user: User): Json[] {
  return user.emails
    .getItems()
    .sort((a, b) => Number(b.main) - Number(a.main) || a.address.localeCompare(b.address))
    .map(emailJson);
}

/** The user object (users.md §1), keys in upstream's order; never any password data. `emails` must be populated. */
export function userJson(user: User): UserJson {
  return {
    uuid: user.uuid,
    username: user.username,
    firstname: user.firstname,
    lastname: user.lastname,
    purpose: user.purpose,
    authentication_method: user.authenticationMethod,
    enabled: user.enabled,
    tenant_uuid: user.tenant.uuid,
    emails: emailsJson(user),
  };
}

/** `POST /users` answers the same fields in another order, as upstream's creation path builds them. */
const CREATED_KEYS = [
  'uuid',
  'username',
  'firstname',
  'lastname',
  'purpose',
  'emails',
  'enabled',
  'tenant_uuid',
  'authentication_method',
] as const satisfies readonly (keyof UserJson)[];

export function createdUserJson(user: User): JsonObject {
  const json = userJson(user);
  return Object.fromEntries(CREATED_KEYS.map((key) => [key, json[key]]));
}

/**
 * One address of the `PUT /users/{u}/emails` answer, as upstream echoes what it was sent: a new address an
 * administrator sent without `confirmed` shows `null` there, although `false` is stored.
 */
export function replacedEmailJson(email: Email, echoedConfirmed: boolean | null): JsonObject {
  return { address: email.address, main: email.main, confirmed: echoedConfirmed, uuid: email.uuid };
}
