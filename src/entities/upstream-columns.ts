import { type EntityProperty, type Platform, Type } from '@mikro-orm/core';

/**
 * PostgreSQL, told by its native text arrays (the generic platform declares arrays as `text`): no import
 * of the PostgreSQL driver where the embedded database runs alone.
 */
const onPostgres = (platform: Platform) => platform.getArrayDeclarationSQL() === 'text[]';

/**
 * A PostgreSQL array literal of `values`, every element quoted: unquoted, an element `NULL` would be a
 * null and surrounding spaces would be trimmed, and ACL entries are free text.
 */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** What a raw statement binds for a `TextListType` column on `platform`. */
export function storedTextList(values: readonly string[], platform: Platform): string {
  return onPostgres(platform) ? textArrayLiteral(values) : JSON.stringify(values);
}

/**
 * A list of strings stored as upstream stores `auth_token.acl`: `text[]` on PostgreSQL, so that upstream
 * (SQLAlchemy `ARRAY(String)`) reads and writes the same rows; JSON text on SQLite, which has no arrays.
 */
export class TextListType extends Type<string[], string> {
  override convertToDatabaseValue(value: string[], platform: Platform): string {
    return storedTextList(value, platform);
  }

  override convertToJSValue(value: string | string[] | null, platform: Platform): string[] {
    if (value === null) return [];
    if (Array.isArray(value)) return value; // the driver parsed it (pg parses text[])
    return (onPostgres(platform) ? platform.unmarshallArray(value) : JSON.parse(value)) as string[];
  }

  override compareAsType(): string {
    return 'string[]';
  }

  override getColumnType(_prop: EntityProperty, platform: Platform): string {
    return onPostgres(platform) ? 'text[]' : 'json';
  }
}

/**
 * A JSON object kept as upstream keeps `auth_token.metadata`: JSON text in a `text` column on PostgreSQL
 * (upstream reads it with `json.loads`, which a `jsonb` value handed over as a dict would break); the
 * existing `json` column on SQLite, which is text there too.
 */
export class JsonTextType<T extends object> extends Type<T | null, string | null> {
  override convertToDatabaseValue(value: T | null): string | null {
    return value === null || value === undefined ? null : JSON.stringify(value);
  }

  override convertToJSValue(value: string | T | null): T | null {
    if (value === null || value === undefined) return null;
    return typeof value === 'string' ? (JSON.parse(value) as T) : value;
  }

  override compareAsType(): string {
    return 'any';
  }

  override getColumnType(_prop: EntityProperty, platform: Platform): string {
    return onPostgres(platform) ? 'text' : 'json';
  }
}
