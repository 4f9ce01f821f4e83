/*
 * The query side of list endpoints (conventions.md §5): `search`, sorting and paging applied to a
 * MikroORM query builder. Parameter parsing and its errors are `listQuery` (src/http/list-query.ts).
 */
import { type QBQueryOrderMap, QueryOrder } from '@mikro-orm/core';
import type { QueryBuilder } from '@mikro-orm/postgresql';
import type { ListParams } from '../validation/index.js';

/** A search term on a plain column; `lower() like lower()` is ILIKE on both dialects. */
export const likeColumn = (column: string): string => `lower(${column}) like lower(?)`;

/**
 * Upstream's search: the pattern is matched against each term separately, OR-ed, so a multi-word search
 * never spans two columns. Each term is an SQL condition with one `?` for the pattern.
 */
export function whereSearch<T extends object>(
  qb: QueryBuilder<T>,
  terms: readonly string[],
  pattern: string | null,
): void {
  if (pattern === null) return;
  qb.andWhere(
    `(${terms.join(' or ')})`,
    terms.map(() => pattern),
  );
}

/**
 * Sorting and paging. Null placement is PostgreSQL's default (last ascending, first descending), spelt out
 * so that SQLite sorts the same; the primary key breaks ties so that pages do not overlap.
 */
export function orderAndPage<T extends object>(
  qb: QueryBuilder<T>,
  params: ListParams,
  primaryKey: string,
): void {
  if (params.order !== null) {
    const direction = params.direction === 'desc' ? QueryOrder.DESC_NULLS_FIRST : QueryOrder.ASC_NULLS_LAST;
    qb.orderBy([{ [params.order]: direction }, { [primaryKey]: QueryOrder.ASC }] as QBQueryOrderMap<T>[]);
  }
  if (params.limit !== null) qb.limit(params.limit);
  if (params.offset > 0) qb.offset(params.offset);
}
