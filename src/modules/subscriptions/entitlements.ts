import { PLANS, type PlanFeatures, type PlanId, type PlanLimits } from './plan-catalogue.js';
import type { SubscriptionStatus } from './subscription-status.js';

export interface SubscriptionState {
  plan: PlanId;
  status: SubscriptionStatus;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  manualPlan: PlanId | null;
  manualUntil: Date | null;
}

export interface Entitlements {
  /** The plan whose features apply now. */
  plan: PlanId;
  /** Where it comes from: an admin's grant, Stripe, or the free default. */
  source: 'manual' | 'stripe' | 'free';
  features: PlanFeatures;
  limits: PlanLimits;
}

/** What may grant a user a plan: their own subscription and their workspaces'. */
export interface PlanSources {
  own: SubscriptionState;
  workspaces: { workspaceId: string; state: SubscriptionState }[];
}

export interface BestSource {
  state: SubscriptionState;
  entitlements: Entitlements;
  /** The workspace whose subscription grants the plan; null when the user's own does. */
  workspaceId: string | null;
}

const DAY_MS = 86_400_000;
const PLAN_RANK: Record<PlanId, number> = { free: 0, pro: 1, business: 2 };

/**
 * The source whose plan applies: the best plan any of them grants now, the user's own
 * subscription on a tie (so a user with their own Pro keeps seeing it).
 */
export function bestOf(
  sources: PlanSources,
  entitle: (state: SubscriptionState) => Entitlements,
): BestSource {
  let best: BestSource = {
    state: sources.own,
    entitlements: entitle(sources.own),
    workspaceId: null,
  };
  for (const { workspaceId, state } of sources.workspaces) {
    const entitlements = entitle(state);
    if (PLAN_RANK[entitlements.plan] > PLAN_RANK[best.entitlements.plan])
      best = { state, entitlements, workspaceId };
  }
  return best;
}

/**
 * What a subscription grants at a moment. Trialing and active grant their plan (also with
 * cancel_at_period_end, until the period ends); past_due keeps it for a grace period after
 * the period it failed to renew; incomplete, incomplete_expired, unpaid, canceled and paused
 * fall back to free. An active manual grant outranks all of it.
 */
export function entitlementsOf(
  state: SubscriptionState,
  now: Date,
  pastDueGraceDays: number,
): Entitlements {
  const grant = (plan: PlanId, source: Entitlements['source']): Entitlements => ({
    plan,
    source,
    features: PLANS[plan].features,
    limits: PLANS[plan].limits,
  });
  if (state.manualPlan && (!state.manualUntil || state.manualUntil > now))
    return grant(state.manualPlan, 'manual');
  if (state.plan === 'free') return grant('free', 'free');

  const periodEnd = state.currentPeriodEnd?.getTime();
  const inPeriod = periodEnd === undefined || periodEnd > now.getTime();
  switch (state.status) {
    case 'active':
    case 'trialing':
      return inPeriod || !state.cancelAtPeriodEnd
        ? grant(state.plan, 'stripe')
        : grant('free', 'free');
    case 'past_due':
      return periodEnd === undefined || now.getTime() < periodEnd + pastDueGraceDays * DAY_MS
        ? grant(state.plan, 'stripe')
        : grant('free', 'free');
    default:
      return grant('free', 'free');
  }
}

/** The end of what grants the plan now: a manual grant's end when the grant applies, else the paid period's. */
export function periodEndOf(state: SubscriptionState, entitlements: Entitlements): Date | null {
  return entitlements.source === 'manual' ? state.manualUntil : state.currentPeriodEnd;
}
