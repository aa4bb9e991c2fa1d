import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';

let client: Client | undefined;

/**
 * The container's OpenSearch client: every request signed with SigV4 for the `es` service
 * (the domain's fine-grained access control maps the function's role), credentials from the
 * default provider chain (the function's role in AWS, the environment locally).
 * SEARCH_ENDPOINT is the domain's https endpoint (or the local fake's).
 */
export function searchClient(): Client {
  if (!client) {
    const credentials = defaultProvider();
    client = new Client({
      ...AwsSigv4Signer({ region: process.env.AWS_REGION ?? 'eu-west-1', service: 'es', getCredentials: () => credentials() }),
      node: process.env.SEARCH_ENDPOINT,
      requestTimeout: 5_000,
      maxRetries: 2,
    });
  }
  return client;
}

/** The index of the entries. */
export const searchIndex = (): string => process.env.SEARCH_INDEX ?? 'entries';

/** Forgets the client (tests point the next one at another endpoint). */
export function resetSearchClient(): void {
  client = undefined;
}
