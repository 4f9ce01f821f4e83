import { USER_PURPOSES } from '../entities/index.js';
import { errors, type Json } from '../http/errors.js';
import {
  type ErrorDict,
  Field,
  field,
  type ListEndpoint,
  length,
  loadOrInvalidData,
  type Schema,
  schema,
} from '../validation/index.js';
import type { SubmittedEmail } from './repository.js';

/**
 * The fields `POST` and `PUT /users` share (users.md §3), in upstream's schema order, which decides the
 * field an `invalid-data` error names. `authentication_method` is any string here; its value is checked
 * after. Their defaults are what a full replacement resets an omitted field to.
 */
const userFields = {
  username: field
    .string()
    .validate(length({ min: 1, max: 256 }))
    .default(null),
  firstname: field.string().default(null),
  lastname: field.string().default(null),
  purpose: field.choice(USER_PURPOSES).default('user'),
  authentication_method: field.string(),
  enabled: field.boolean().default(true),
};

/** `POST /users`. */
export const userPostSchema = schema({
  ...userFields,
  uuid: field.uuid(),
  password: field
    .string()
    .validate(length({ min: 1 }))
    .nullable(),
  email_address: field.email().nullable(),
});

/** `PUT /users/{user_uuid}`: a full replacement; password, addresses, uuid and tenant are not its own. */
const userPutSchema = schema(userFields);

/** `PUT /users/{user_uuid}/password`. */
export const passwordChangeSchema = schema({
  old_password: field
    .string()
    .validate(length({ min: 1 }))
    .required(),
  new_password: field
    .string()
    .validate(length({ min: 1 }))
    .required(),
});

export type UserPost = typeof userPostSchema extends Schema<infer O> ? O : never;

export type UserPut = typeof userPutSchema extends Schema<infer O> ? O : never;
export type PasswordChange = typeof passwordChangeSchema extends Schema<infer O> ? O : never;

/** A body loaded by `schema`, or the `invalid-data` 400 (resource `users`) of its first failing field. */
const loadUserBody = <O>(bodySchema: Schema<O>, body: Json | undefined): O =>
  loadOrInvalidData('users', bodySchema, body);

export const parseUserPost = (body: Json | undefined): UserPost => loadUserBody(userPostSchema, body);
export const parseUserPut = (body: Json | undefined): UserPut => loadUserBody(userPutSchema, body);
export const parsePasswordChange = (body: Json | undefined): PasswordChange =>
  loadUserBody(passwordChangeSchema, body);

/** One address of `PUT /users/{user_uuid}/emails`. */
const userEmail = schema({
  address: field.email().required(),
  main: field.boolean().default(false),
});

/** One address of `PUT /admin/users/{user_uuid}/emails`, which may also say whether it is confirmed. */
const adminEmail = schema({
  address: field.email().required(),
  confirmed: field.boolean().default(null),
  main: field.boolean().default(false),
});

/**
 * marshmallow's `Nested(schema, many=True)` under upstream's base schema: a list (anything else is
 * `["Invalid type."]`) of objects, a falsy item (`null` too) counting as `{}`; item errors keyed by index.
 */
function nestedList<O>(item: Schema<O>): Field<O[]> {
  return new Field<O[]>({
    read(value) {
      if (!Array.isArray(value)) return { ok: false, error: ['Invalid type.'] };
      const items: O[] = [];
      const failures: ErrorDict = {};
      value.forEach((raw, index) => {
        const result = item.load(raw);
        if (result.ok) items.push(result.value);
        else failures[String(index)] = result.errors;
      });
      return Object.keys(failures).length > 0 ? { ok: false, error: failures } : { ok: true, value: items };
    },
    validators: [],
    required: false,
    nullable: false,
  });
}

type EmailList = { emails: readonly { address: string; main: boolean }[] };

/** A non-empty list has exactly one main address. */
function exactlyOneMain({ emails }: EmailList): string | undefined {
  if (emails.length === 0) return undefined;
  const mains = emails.filter((email) => email.main).length;
  if (mains > 1) return 'Only one address should be main';
  return mains === 0 ? 'At least one address should be main' : undefined;
}

/** No address twice (exact comparison, as upstream: `A@x` and `a@x` pass here and meet the index later). */
function noDuplicate({ emails }: EmailList): string | undefined {
  const addresses = emails.map((email) => email.address);
  return new Set(addresses).size === addresses.length ? undefined : 'The same address can only be used once';
}

const emailListRules = { validators: [exactlyOneMain, noDuplicate] };
const userEmailsPut = schema({ emails: nestedList(userEmail).required() }, emailListRules);
const adminEmailsPut = schema({ emails: nestedList(adminEmail).required() }, emailListRules);

/** Who replaces the addresses: the user itself, or an administrator who may also confirm them. */
export type EmailsVariant = 'user' | 'admin';

/**
 * The addresses of `PUT /users/{u}/emails` (self-service: `confirmed` is ignored) or
 * `PUT /admin/users/{u}/emails`. Upstream's quirk: the 400 `invalid-data` (resource `emails`) carries the
 * raw validation object as its `message` and empty `details`.
 */
export function parseEmailsPut(body: Json | undefined, variant: EmailsVariant): SubmittedEmail[] {
  if (variant === 'admin') {
    const result = adminEmailsPut.load(body ?? null);
    if (!result.ok) throw invalidEmails(result.errors);
    return result.value.emails;
  }
  const result = userEmailsPut.load(body ?? null);
  if (!result.ok) throw invalidEmails(result.errors);
  return result.value.emails.map(({ address, main }) => ({ address, main, confirmed: null }));
}

const invalidEmails = (failures: ErrorDict) =>
  errors.invalidData('emails', {}, failures as { [key: string]: Json });

/** `GET /users` (conventions.md §5). */
export const USER_LIST: ListEndpoint = {
  sortable: ['username', 'firstname', 'lastname'],
  defaultOrder: 'username',
  filters: [
    'uuid',
    'username',
    'firstname',
    'lastname',
    'purpose',
    'email_address',
    'group_uuid',
    'policy_uuid',
    'policy_slug',
    'has_policy_uuid',
    'has_policy_slug',
  ],
};

/** `GET /users/{user_uuid}/policies` (users.md §3). */
export const USER_POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'description', 'uuid'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'user_uuid', 'group_uuid', 'tenant_uuid'],
};
