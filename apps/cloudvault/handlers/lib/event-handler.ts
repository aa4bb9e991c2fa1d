import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './observability';

/** A non-API Lambda handler (EventBridge, SQS, schedule). */
export type EventHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * The event handlers' counterpart of `withApiHandler`, on the same logger / metrics / tracer
 * singletons: log context with a correlation id (the event's own id when it has one, as
 * EventBridge events do, else the request id), a trace subsegment with the cold-start
 * annotation, metrics published once per invocation (also when it fails), and per-invocation log
 * keys removed afterwards.
 *
 * Errors are logged with their stack and rethrown: the event source's retry and dead-letter
 * policy then applies. Handlers therefore throw only what a retry can fix (or what must reach the
 * DLQ) and deal with permanent problems themselves.
 */
export function withEventHandler<E, R>(fn: EventHandler<E, R>): EventHandler<E, R> {
  return async (event, context) => {
    const started = Date.now();
    const eventId = (event as { id?: unknown } | null)?.id;
    logger.addContext(context);
    logger.appendKeys({ correlation_id: typeof eventId === 'string' ? eventId : context.awsRequestId });

    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${context.functionName || 'handler'}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    metrics.captureColdStartMetric();

    try {
      const result = await fn(event, context);
      logger.info('event handled', { durationMs: Date.now() - started });
      return result;
    } catch (err) {
      logger.error('event failed', err as Error);
      tracer.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      metrics.publishStoredMetrics();
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      // Keys a handler appends (tenant, file) must not leak into the next invocation.
      logger.resetKeys();
    }
  };
}
