import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

// Created once per container on first use. DYNAMODB_ENDPOINT points at DynamoDB Local in tests and local mode.
let documentClient: DynamoDBDocumentClient | undefined;

/** The DynamoDB DocumentClient (plain JS values; `undefined` attributes dropped). */
export function ddb(): DynamoDBDocumentClient {
  if (!documentClient) {
    const endpoint = process.env.DYNAMODB_ENDPOINT;
    const client = tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {}));
    documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }
  return documentClient;
}

/** An environment variable the stack sets; missing or empty is a deployment error. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const patchesTable = (): string => requiredEnv('PATCHES_TABLE');
export const discussionsTable = (): string => requiredEnv('DISCUSSIONS_TABLE');
