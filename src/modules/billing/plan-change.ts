import type { BillingInterval, PlanId } from '../subscriptions/plan-catalogue.js';

export interface PlanChoice {
  plan: PlanId;
  interval: BillingInterval;
}

export type ChangeKind = 'same' | 'upgrade' | 'downgrade';

const RANK: Record<PlanId, number> = { free: 0, pro: 1, business: 2 };

/**
 * Which way a change goes: a higher plan is an upgrade whatever the interval; on the same
 * plan, yearly is an upgrade from monthly (a longer commitment, paid now) and monthly a
 * downgrade from yearly (the paid year is not given back).
 */
export function changeKind(from: PlanChoice, to: PlanChoice): ChangeKind {
  if (RANK[to.plan] !== RANK[from.plan])
    return RANK[to.plan] > RANK[from.plan] ? 'upgrade' : 'downgrade';
  if (to.interval === from.interval) return 'same';
  return to.interval === 'year' ? 'upgrade' : 'downgrade';
}

/** How long after a preview its prorationDate is still accepted by a change. */
export const PRORATION_DATE_MAX_AGE_SECONDS = 3600;

/**
 * Whether a client's prorationDate (from a preview) may be used: not in the future (a minute
 * of clock skew aside) and at most an hour old, so a charge equals a recent preview's.
 */
export function isUsableProrationDate(date: number, nowSeconds: number): boolean {
  return date <= nowSeconds + 60 && date >= nowSeconds - PRORATION_DATE_MAX_AGE_SECONDS;
}
