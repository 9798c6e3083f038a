import { AdminCredential } from './admin-token.guard.js';

const ADMIN_TOKEN = 'admin-token-of-the-guard-spec-0123456789';

// the guard around it, with the limit on failures per address, is tested on PostgreSQL (failed-authentication.int-spec.ts)
describe('AdminCredential', () => {
  it('admits the admin token only, as a bearer credential', () => {
    const credential = new AdminCredential(ADMIN_TOKEN);
    expect(credential.admits(`Bearer ${ADMIN_TOKEN}`)).toBe(true);
    expect(credential.admits(`bearer ${ADMIN_TOKEN}`)).toBe(true);
    for (const refused of [undefined, `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`, 'Bearer ']) {
      expect(credential.admits(refused)).toBe(false);
    }
  });

  it('admits nothing in a process given no admin token (a service without an admin API)', () => {
    expect(new AdminCredential(null).admits(`Bearer ${ADMIN_TOKEN}`)).toBe(false);
  });
});
