import { ConfigurationError, loadConfig } from './backchannel-config.js';
import {
  requirementsOf,
  type Secret,
  SECRET_VARIABLES,
  SECRETS,
  SECRETS_OF_SERVICE,
  type ServiceName,
} from './service-secrets.js';

const settings = {
  BACKCHANNEL_ISSUER: 'https://auth.example.com',
  DATABASE_URL: 'postgres://db/backchannel',
  HOST: '10.0.0.4',
};
const secrets = {
  BACKCHANNEL_ADMIN_TOKEN: 'a'.repeat(43),
  BACKCHANNEL_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
};
const services = Object.keys(SECRETS_OF_SERVICE) as ServiceName[];

describe('SECRETS_OF_SERVICE', () => {
  it('keeps the key-encryption keys out of the gateway, and the admin token out of services without an admin API', () => {
    const holding = (secret: Secret) => services.filter((service) => SECRETS_OF_SERVICE[service].includes(secret));
    expect(holding('keyEncryptionKeys')).not.toContain('gateway');
    expect(holding('adminToken').sort()).toEqual(['approvals', 'backchannel', 'embedded', 'gateway']);
  });

  it.each(services)('%s starts with its secrets alone and refuses to start without one of them', (service) => {
    const needs = SECRETS_OF_SERVICE[service];
    const own = Object.fromEntries(
      Object.entries(secrets).filter(([variable]) =>
        needs.some((secret) => SECRET_VARIABLES[secret].includes(variable)),
      ),
    );
    expect(loadConfig({ ...settings, ...own }, { needs }).ignoredSecrets).toEqual([]);
    for (const secret of needs) {
      const without = { ...settings, ...own, [SECRET_VARIABLES[secret][0]!]: undefined };
      expect(() => loadConfig(without, { needs })).toThrow(ConfigurationError);
    }
    const others = SECRETS.filter((secret) => !needs.includes(secret)).flatMap((secret) => SECRET_VARIABLES[secret]);
    expect(loadConfig({ ...settings, ...secrets }, { needs }).ignoredSecrets).toEqual(
      others.filter((variable) => variable in secrets),
    );
  });
});

describe('requirementsOf', () => {
  it('has the gateway alone check the upstream URLs: the only service that calls them', () => {
    expect(services.filter((service) => requirementsOf(service).callsUpstreams)).toEqual(['gateway']);
    expect(() => loadConfig({ ...settings, ...secrets }, requirementsOf('gateway'))).toThrow('BACKCHANNEL_URL');
    expect(loadConfig({ ...settings, ...secrets }, requirementsOf('approvals')).upstreams.token).toMatch(/^http:/);
  });

  it('has the gateway and the embedded process alone listen where clients reach them', () => {
    expect(services.filter((service) => requirementsOf(service).publicEdge)).toEqual(['gateway', 'embedded']);
  });
});
