import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// Service name and namespace come from the function's environment (set by the API stack); the
// defaults keep tests and local mode working.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'personal-pod';

/** One logger, metrics and tracer per container, shared by the handler's modules. */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PersonalPod' });
export const tracer = new Tracer({ serviceName });
export { MetricUnit };
