import { InvalidTarget } from './oauth-errors.js';
import { accessTokenAudience, isResourceIndicator, parseResources } from './resource-parameter.js';

const ISSUER = 'https://issuer.example/';
const API = 'https://api.example.com/';
const OTHER = 'urn:example:ledger';

describe('resource indicators (RFC 8707)', () => {
  it.each([API, OTHER, 'https://api.example.com:8443/v1?tenant=a'])('takes %s', (resource) => {
    expect(isResourceIndicator(resource)).toBe(true);
  });

  it.each(['/relative', 'api.example.com', `${API}#frag`, `${API}\t`, 'x'.repeat(2049)])('refuses %s', (resource) => {
    expect(isResourceIndicator(resource)).toBe(false);
    expect(() => parseResources(resource)).toThrow(InvalidTarget);
  });

  it('de-duplicates, in the order sent, and caps the count', () => {
    expect(parseResources(`${OTHER} ${API} ${OTHER}`)).toEqual([OTHER, API]);
    expect(parseResources(undefined)).toEqual([]);
    const eleven = Array.from({ length: 11 }, (_, index) => `https://api${index}.example/`).join(' ');
    expect(() => parseResources(eleven)).toThrow(InvalidTarget);
  });

  describe('accessTokenAudience', () => {
    it('is the issuer when no resource was granted or asked', () => {
      expect(accessTokenAudience([], [], ISSUER)).toEqual([ISSUER]);
      expect(accessTokenAudience([], [ISSUER], ISSUER)).toEqual([ISSUER]);
    });

    it('is every resource granted, or those a token request narrows it to', () => {
      expect(accessTokenAudience([API, OTHER], [], ISSUER)).toEqual([API, OTHER]);
      expect(accessTokenAudience([API, OTHER], [OTHER], ISSUER)).toEqual([OTHER]);
    });

    it('refuses a resource the grant does not include', () => {
      expect(() => accessTokenAudience([API], [OTHER], ISSUER)).toThrow(InvalidTarget);
      expect(() => accessTokenAudience([API], [ISSUER], ISSUER)).toThrow(InvalidTarget);
      expect(() => accessTokenAudience([], [API], ISSUER)).toThrow(InvalidTarget);
    });
  });
});
