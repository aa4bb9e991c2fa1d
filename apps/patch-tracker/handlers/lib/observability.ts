import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// Service name and namespace come from the function's environment (set by the stack).
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'patch-tracker';

/** One logger, metrics and tracer per container. */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PatchTracker' });
export const tracer = new Tracer({ serviceName });
export { MetricUnit };
