/**
 * Environment for running an app's handlers in tests. Import it BEFORE any handler module:
 * Powertools reads these when the handler module creates its logger, metrics and tracer.
 */
process.env.POWERTOOLS_SERVICE_NAME ??= 'app-test';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'AppTest';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT'; // set to DEBUG to see the handlers' logs
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true'; // no EMF lines on stdout
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false'; // no X-Ray daemon here
process.env.AWS_REGION ??= 'eu-west-1';
// DynamoDB Local accepts any credentials (alphanumeric key id); these never reach AWS.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

export {};
