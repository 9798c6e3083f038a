import { hashLowEntropySecret, verifyLowEntropySecret } from './secret-hash.js';

describe('hashLowEntropySecret', () => {
  it('verifies the secret it hashed, and nothing else', async () => {
    const stored = await hashLowEntropySecret('4711');
    await expect(verifyLowEntropySecret('4711', stored)).resolves.toBe(true);
    await expect(verifyLowEntropySecret('4712', stored)).resolves.toBe(false);
    await expect(verifyLowEntropySecret('', stored)).resolves.toBe(false);
  });

  it('salts: the same secret hashes differently each time', async () => {
    const [first, second] = await Promise.all([hashLowEntropySecret('4711'), hashLowEntropySecret('4711')]);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('treats a stored value of another scheme as no match', async () => {
    await expect(verifyLowEntropySecret('4711', 'sha256$abc')).resolves.toBe(false);
  });
});
