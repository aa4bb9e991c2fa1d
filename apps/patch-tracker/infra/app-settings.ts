import * as path from 'path';

/** The app folder (handler bundles live in `<APP_DIR>/assets/handlers`). */
export const APP_DIR = path.resolve(__dirname, '..');

/** Namespace of the handlers' Powertools EMF metrics. */
export const METRICS_NAMESPACE = 'PatchTracker';

/** Environment of every handler: Powertools service name and metrics namespace. */
export function handlerEnvironment(service: string): Record<string, string> {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
}

/** `patch-fetcher` -> `PatchFetcher` (construct ids). */
export function pascalCase(name: string): string {
  return name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
