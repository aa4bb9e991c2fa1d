import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

// Created once per container, on first use. DYNAMODB_ENDPOINT points tests and local mode at DynamoDB Local.
let documentClient: DynamoDBDocumentClient | undefined;

/** The DynamoDB DocumentClient (plain JS values; `undefined` attributes dropped). */
export function ddb(): DynamoDBDocumentClient {
  if (!documentClient) {
    const endpoint = process.env.DYNAMODB_ENDPOINT;
    documentClient = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {})), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
  return documentClient;
}

/** The table (TABLE_NAME, set by the stack). */
export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}
