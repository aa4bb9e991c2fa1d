// Probe for bench/probes.ts: what loading and constructing the Powertools tracer costs on its own
// (the part of a handler's init that lazy-loading the tracer would move to the first invocation).
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: 'probe' });
