import { pbkdf2Sync } from 'node:crypto';
import t from 'tap';
import {
  hashPassword,
  hashPasswordPbkdf2,
  verifyNothing,
  verifyPassword,
} from '../../src/passwords/index.js';

t.test('new hashes are argon2id and verify', async (t) => {
  const stored = await hashPassword('correct horse');
  t.match(stored.hash, /^\$argon2id\$/);
  t.equal(stored.salt, null);
  t.same(await verifyPassword('correct horse', stored), { ok: true, needsUpgrade: false });
  t.same(await verifyPassword('Correct horse', stored), { ok: false, needsUpgrade: false });
  t.not((await hashPassword('correct horse')).hash, stored.hash, 'salted: two hashes differ');
});

t.test("upstream's PBKDF2-SHA512 hashes verify and ask for an upgrade", async (t) => {
  const salt = Buffer.alloc(64, 7);
  // Computed independently, exactly as users.md describes upstream's scheme.
  const expected = pbkdf2Sync('pässword', salt, 250_000, 64, 'sha512').toString('hex');
  const stored = await hashPasswordPbkdf2('pässword', salt);
  t.equal(stored.hash, expected);
  t.equal(stored.hash?.length, 128);
  t.same(await verifyPassword('pässword', { hash: expected, salt }), { ok: true, needsUpgrade: true });
  t.same(await verifyPassword('password', { hash: expected, salt }), { ok: false, needsUpgrade: false });
  t.same(await verifyPassword('pässword', { hash: expected, salt: Buffer.alloc(64, 8) }), {
    ok: false,
    needsUpgrade: false,
  });
});

t.test('users without a usable password never log in', async (t) => {
  for (const stored of [
    { hash: null, salt: null },
    { hash: '', salt: null },
    { hash: 'abcd', salt: null },
    { hash: 'not-hex', salt: Buffer.alloc(64) },
    { hash: '$argon2id$garbage', salt: null },
  ]) {
    t.same(
      await verifyPassword('x', stored),
      { ok: false, needsUpgrade: false },
      JSON.stringify(stored.hash),
    );
  }
  t.equal(await verifyNothing('x'), false);
});
