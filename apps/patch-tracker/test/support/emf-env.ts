/**
 * Import first (before the kit's handler-env) in tests that read the handlers' EMF metrics: metrics
 * on, written through the global console (Powertools' dev mode) so a spy on console.log sees them.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_DEV = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'PatchTracker';
process.env.POWERTOOLS_SERVICE_NAME = 'patch-fetcher';

export {};
