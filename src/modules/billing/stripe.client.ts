import Stripe from 'stripe';
import { ServiceUnavailableWithRetryException } from '../../common/errors/service-unavailable.exception.js';
import type { AppConfig } from '../../config/app-config.js';

export const STRIPE = Symbol('stripe-client');

/**
 * Each attempt's limit and the retries after it: an unreachable Stripe answers the caller
 * within about 2 x 5 s (plus the SDK's half-second backoff), not the SDK's 3 x 80 s default.
 */
const TIMEOUT_MS = 5_000;
const MAX_NETWORK_RETRIES = 1;

/** Retry-After (seconds) when Stripe gives none. */
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/**
 * The Stripe SDK, or null when STRIPE_SECRET_KEY is unset (billing routes then answer 503).
 * STRIPE_API_BASE points it at a Stripe-compatible server, such as the tests' local one.
 */
export function createStripeClient(config: AppConfig): Stripe | null {
  if (!config.stripe.secretKey) return null;
  const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : undefined;
  return new Stripe(config.stripe.secretKey, {
    maxNetworkRetries: MAX_NETWORK_RETRIES,
    timeout: TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'insightsheet-api' },
    ...(base && {
      protocol: base.protocol === 'http:' ? ('http' as const) : ('https' as const),
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
    }),
  });
}

/**
 * True for Stripe being unreachable (StripeConnectionError), failing (5xx) or throttling us
 * (429): the caller's request was fine and may be retried later. Duck-typed on the SDK
 * error's `type` and `statusCode`, as errors may come from another realm (jest's sandbox).
 */
function isStripeUnavailable(error: unknown): error is { headers?: Record<string, unknown> } {
  if (typeof error !== 'object' || error === null) return false;
  const { type, statusCode } = error as { type?: unknown; statusCode?: unknown };
  if (typeof type !== 'string' || !type.startsWith('Stripe')) return false;
  if (type === 'StripeConnectionError') return true;
  return typeof statusCode === 'number' && (statusCode === 429 || statusCode >= 500);
}

function retryAfterSeconds(error: { headers?: Record<string, unknown> }): number {
  const advised = Number(error.headers?.['retry-after']);
  return Number.isInteger(advised) && advised > 0 ? advised : DEFAULT_RETRY_AFTER_SECONDS;
}

/**
 * Every call to Stripe goes through here: an outage at Stripe becomes a 503 with
 * Retry-After, like an unreachable database, instead of a 500. Any other error (a 4xx about
 * the request, a database error inside `work`) is passed on unchanged.
 */
export async function callStripe<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isStripeUnavailable(error)) throw error;
    throw new ServiceUnavailableWithRetryException(
      'The payment provider is unavailable, please retry later',
      retryAfterSeconds(error),
    );
  }
}
