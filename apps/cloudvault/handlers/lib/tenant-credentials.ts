import { AsyncLocalStorage } from 'node:async_hooks';
import { AssumeRoleCommand, AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

/**
 * Tenant-scoped credentials, the SaaS pattern (issue 17 Medium 5): each API request that knows its
 * tenant reads and writes tenant data with a session of the tenant-access role
 * (infra/tenant-access.ts) tagged `tenantId=<tenant>`, whose policy reaches only that tenant's
 * partition keys and object prefixes. The role is TENANT_ACCESS_ROLE_ARN (set by the stack);
 * without it (local mode, handler tests) every call keeps the function's own credentials.
 *
 * The request's tenant travels in an AsyncLocalStorage scope that withApiHandler opens and the
 * caller lookup fills, so lib/clients.ts picks the right credentials without every call site
 * passing the tenant. STS_ENDPOINT overrides the STS endpoint (tests, bench/tenant-credentials.ts).
 */

/** The session tag the role's policy is written in (`${aws:PrincipalTag/tenantId}`). */
export const TENANT_TAG = 'tenantId';
/** Sessions last 15 minutes (STS's minimum): a leaked session is short-lived. */
export const SESSION_SECONDS = 900;
/** Tenants whose credentials (and clients) one container keeps; the oldest is dropped beyond. */
export const MAX_CACHED_TENANTS = 100;

/** AWS credentials as the SDK clients take them. */
export interface TenantCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type TenantCredentialsProvider = () => Promise<TenantCredentials>;

interface RequestScope {
  tenantId?: string;
}
const requestScope = new AsyncLocalStorage<RequestScope>();

/** Runs one request in a scope of its own (withApiHandler); `enterTenant` inside it sets the tenant. */
export function withRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  return requestScope.run({}, fn);
}

/** From here on, this request's tenant-data calls use `tenantId`'s credentials (when configured). */
export function enterTenant(tenantId: string): void {
  const scope = requestScope.getStore();
  if (scope) scope.tenantId = tenantId;
}

/** The role tenant sessions are taken from; undefined in local mode. */
export function tenantAccessRoleArn(): string | undefined {
  return process.env.TENANT_ACCESS_ROLE_ARN || undefined;
}

/** The tenant whose session this call should use: none outside a request, before the caller is known, or in local mode. */
export function currentTenant(): string | undefined {
  return tenantAccessRoleArn() ? requestScope.getStore()?.tenantId : undefined;
}

/**
 * The AssumeRole request for a tenant. Session names allow `[\w+=,.@-]{2,64}`; tenant ids are
 * `[A-Za-z0-9_-]{1,64}` (lib/auth.ts), so the name is the id, prefixed and cut to 64.
 */
export function assumeRoleInput(roleArn: string, tenantId: string): AssumeRoleCommandInput {
  return {
    RoleArn: roleArn,
    RoleSessionName: `tenant-${tenantId}`.slice(0, 64),
    DurationSeconds: SESSION_SECONDS,
    Tags: [{ Key: TENANT_TAG, Value: tenantId }],
  };
}

let stsClient: STSClient | undefined;
function sts(): STSClient {
  if (!stsClient) {
    const endpoint = process.env.STS_ENDPOINT;
    stsClient = new STSClient(endpoint ? { endpoint } : {});
  }
  return stsClient;
}

const providers = new Map<string, TenantCredentialsProvider>();

/**
 * The tenant's credentials provider, one per tenant per container and shared by its DynamoDB and
 * S3 clients. Caching is the SDK's own (memoizeIdentityProvider of @smithy/core, which the clients
 * use for their default credentials): one AssumeRole until 5 minutes before the session expires,
 * concurrent first calls coalesced into one.
 */
export function tenantCredentials(tenantId: string): TenantCredentialsProvider {
  let provider = providers.get(tenantId);
  if (!provider) {
    const roleArn = tenantAccessRoleArn();
    if (!roleArn) throw new Error('TENANT_ACCESS_ROLE_ARN is not set');
    const assume: TenantCredentialsProvider = async () => {
      const { Credentials: c } = await sts().send(new AssumeRoleCommand(assumeRoleInput(roleArn, tenantId)));
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    };
    provider = memoizeIdentityProvider(assume, isIdentityExpired, doesIdentityRequireRefresh) as TenantCredentialsProvider;
    remember(providers, tenantId, provider);
  }
  return provider;
}

/** Adds to a per-tenant cache, dropping the oldest tenant beyond MAX_CACHED_TENANTS. */
export function remember<T>(cache: Map<string, T>, tenantId: string, value: T): void {
  if (cache.size >= MAX_CACHED_TENANTS) cache.delete(cache.keys().next().value as string);
  cache.set(tenantId, value);
}

/** Forgets every cached provider (tests and the bench measure cold resolutions). */
export function resetTenantCredentials(): void {
  providers.clear();
  stsClient = undefined;
}
