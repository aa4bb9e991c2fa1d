/**
 * Stand-in for `@aws-lambda-powertools/tracer` in bench/variants.ts's "tracer not loaded at init"
 * variant: every method is a no-op returning its first argument (so `captureAWSv3Client(client)`
 * returns the client), and a handler's top-level code runs without the X-Ray SDK.
 */
export class Tracer {
  constructor() {
    return new Proxy(this, {
      get: (target, prop) => (prop in target ? Reflect.get(target, prop) : (first?: unknown) => first),
    });
  }
}
