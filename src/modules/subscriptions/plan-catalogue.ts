import type { AppConfig } from '../../config/app-config.js';

export type PlanId = 'free' | 'pro' | 'business';

export type BillingInterval = 'month' | 'year';

export interface PlanFeatures {
  ai_insights: boolean;
  advanced_charts: boolean;
  export_formats: string[];
  priority_support: boolean;
}

/** null means unlimited. */
export interface PlanLimits {
  analyses_per_day: number | null;
  ai_queries_per_day: number | null;
  max_rows_per_file: number | null;
  saved_dashboards: number | null;
}

export interface PlanDefinition {
  id: PlanId;
  name: string;
  features: PlanFeatures;
  limits: PlanLimits;
  /** Display prices in the smallest currency unit; Stripe's prices are the ones charged. */
  amounts: Record<BillingInterval, number>;
}

/** The one definition of what each plan grants. */
export const PLANS: Record<PlanId, PlanDefinition> = {
  free: {
    id: 'free',
    name: 'Free',
    features: {
      ai_insights: false,
      advanced_charts: false,
      export_formats: ['csv'],
      priority_support: false,
    },
    limits: {
      analyses_per_day: 10,
      ai_queries_per_day: 0,
      max_rows_per_file: 10_000,
      saved_dashboards: 1,
    },
    amounts: { month: 0, year: 0 },
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    features: {
      ai_insights: true,
      advanced_charts: true,
      export_formats: ['csv', 'xlsx', 'pdf'],
      priority_support: false,
    },
    limits: {
      analyses_per_day: 200,
      ai_queries_per_day: 100,
      max_rows_per_file: 1_000_000,
      saved_dashboards: 25,
    },
    amounts: { month: 1200, year: 12_000 },
  },
  business: {
    id: 'business',
    name: 'Business',
    features: {
      ai_insights: true,
      advanced_charts: true,
      export_formats: ['csv', 'xlsx', 'pdf', 'json'],
      priority_support: true,
    },
    limits: {
      analyses_per_day: null,
      ai_queries_per_day: 1000,
      max_rows_per_file: 5_000_000,
      saved_dashboards: null,
    },
    amounts: { month: 3900, year: 39_000 },
  },
};

export const PLAN_IDS = Object.keys(PLANS) as PlanId[];

/** The Stripe price id configured for a paid plan and interval, if any. */
export function stripePriceId(
  config: AppConfig,
  plan: PlanId,
  interval: BillingInterval,
): string | undefined {
  const prices = config.stripe.prices;
  switch (plan) {
    case 'pro':
      return interval === 'month' ? prices.proMonthly : prices.proYearly;
    case 'business':
      return interval === 'month' ? prices.businessMonthly : prices.businessYearly;
    default:
      return undefined;
  }
}

/** The boolean features a route can require (see @RequiresFeature). */
export type BooleanFeature = 'ai_insights' | 'advanced_charts' | 'priority_support';

/** Metered features: consumed one unit at a time against a daily limit of the plan. */
export const METERED_FEATURES = {
  analyses: { limit: 'analyses_per_day', requires: undefined },
  ai_queries: { limit: 'ai_queries_per_day', requires: 'ai_insights' },
} as const satisfies Record<
  string,
  { limit: keyof PlanLimits; requires: BooleanFeature | undefined }
>;

export type MeteredFeature = keyof typeof METERED_FEATURES;

/** The plan a Stripe price id stands for, through the four configured price variables. */
export function planForPrice(
  config: AppConfig,
  priceId: string | null | undefined,
): PlanId | undefined {
  if (!priceId) return undefined;
  const prices = config.stripe.prices;
  if (priceId === prices.proMonthly || priceId === prices.proYearly) return 'pro';
  if (priceId === prices.businessMonthly || priceId === prices.businessYearly) return 'business';
  return undefined;
}
