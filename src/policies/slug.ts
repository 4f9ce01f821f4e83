import { randomInt } from 'node:crypto';

const SLUG_MAX_LENGTH = 80;
const RANDOM_SLUG_LENGTH = 3;
const RANDOM_SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The slug upstream derives from a name: the name without the characters a slug may not hold, cut to
 * 80. A name made only of such characters gives an empty slug, as upstream does.
 */
export function slugFromName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '').slice(0, SLUG_MAX_LENGTH);
}

/** Upstream's fallback when the derived slug is taken: three random lower-case letters or digits. */
export function randomSlug(): string {
  let slug = '';
  for (let i = 0; i < RANDOM_SLUG_LENGTH; i++)
    slug += RANDOM_SLUG_ALPHABET[randomInt(RANDOM_SLUG_ALPHABET.length)];
  return slug;
}
