/** The secrets a deployment gives its services; each service is given, and reads, only those it needs. */
export type Secret = 'keyEncryptionKeys' | 'adminToken';

/** The variables that carry each secret. */
export const SECRET_VARIABLES: Readonly<Record<Secret, readonly string[]>> = {
  keyEncryptionKeys: ['BACKCHANNEL_KEY_ENCRYPTION_KEY', 'BACKCHANNEL_KEY_ENCRYPTION_KEYS'],
  adminToken: ['BACKCHANNEL_ADMIN_TOKEN'],
};

export const SECRETS: readonly Secret[] = ['keyEncryptionKeys', 'adminToken'];

/** The processes that load the configuration (`ops` reads the key-encryption keys per command, nothing else). */
export type ServiceName = 'gateway' | 'backchannel' | 'token' | 'notifier' | 'approvals' | 'ping-delivery' | 'embedded';

/**
 * Which secrets each service needs: it refuses to start without them and ignores the others.
 * The key-encryption keys seal and open (PayloadSealer, ShreddablePayloads, the signing and audit
 * keys); the admin token admits the admin API (AdminTokenGuard). The Helm chart follows this table.
 */
export const SECRETS_OF_SERVICE: Readonly<Record<ServiceName, readonly Secret[]>> = {
  // the admin console; /jwks publishes the stored public keys without opening one
  gateway: ['adminToken'],
  // client and vocabulary admin; seals clients' secrets and notification tokens
  backchannel: ['keyEncryptionKeys', 'adminToken'],
  // signs tokens, opens pushed notification tokens
  token: ['keyEncryptionKeys'],
  // opens devices' webhook secrets and the VAPID key
  notifier: ['keyEncryptionKeys'],
  // user and device admin; seals devices' webhook secrets
  approvals: ['keyEncryptionKeys', 'adminToken'],
  // opens notification tokens and pushed tokens
  'ping-delivery': ['keyEncryptionKeys'],
  embedded: ['keyEncryptionKeys', 'adminToken'],
};

/** The services that forward requests to BACKCHANNEL_URL, TOKEN_URL and APPROVALS_URL; the others never call them. */
const UPSTREAM_CALLERS: readonly ServiceName[] = ['gateway'];

/** The services clients reach; only the other services call the rest. */
const PUBLIC_EDGES: readonly ServiceName[] = ['gateway', 'embedded'];

/** What loadConfig requires of a service's environment. */
export interface ServiceRequirements {
  /** Its secrets (SECRETS_OF_SERVICE). */
  needs: readonly Secret[];
  /** Whether it calls the upstreams: then they must be https in production unless UPSTREAM_ALLOW_HTTP. */
  callsUpstreams: boolean;
  /**
   * Whether clients reach it: in production it listens on every interface unless HOST says
   * otherwise, and gives the admin API a listener of its own; the others listen on a private address.
   */
  publicEdge: boolean;
}

export function requirementsOf(service: ServiceName): ServiceRequirements {
  return {
    needs: SECRETS_OF_SERVICE[service],
    callsUpstreams: UPSTREAM_CALLERS.includes(service),
    publicEdge: PUBLIC_EDGES.includes(service),
  };
}
