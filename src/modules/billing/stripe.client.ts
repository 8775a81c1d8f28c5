import Stripe from 'stripe';
import type { AppConfig } from '../../config/app-config.js';

export const STRIPE = Symbol('stripe-client');

/**
 * The Stripe SDK, or null when STRIPE_SECRET_KEY is unset (billing routes then answer 503).
 * STRIPE_API_BASE points it at a Stripe-compatible server, such as the tests' local one.
 */
export function createStripeClient(config: AppConfig): Stripe | null {
  if (!config.stripe.secretKey) return null;
  const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : undefined;
  return new Stripe(config.stripe.secretKey, {
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: 'insightsheet-api' },
    ...(base && {
      protocol: base.protocol === 'http:' ? ('http' as const) : ('https' as const),
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
    }),
  });
}
