import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  checkoutSessionFactory,
  couponFactory,
  invoiceFactory,
  invoiceLineFactory,
  priceFactory,
  PRICES,
  promotionCodeFactory,
  subscriptionFactory,
} from '../factories/stripe.factory.js';

/**
 * The Stripe stand-in answers with the factories' objects: every field they carry must be
 * one that Stripe's own object fixtures (stripe/openapi's fixtures3.json, a copy of the
 * resources used here in test/fixtures/stripe) carry too, at the top level and one level
 * down, so the stand-in never answers with a field Stripe does not send. The compiler checks
 * the same objects against the SDK's types (`satisfies`); where the fixtures lag the SDK's
 * API version, the field is listed below with the reason.
 */
const fixtures = (
  JSON.parse(
    readFileSync(new URL('../fixtures/stripe/fixtures.json', import.meta.url), 'utf8'),
  ) as { resources: Record<string, Record<string, unknown>> }
).resources;

/** Fields newer than the fixtures (present in the installed SDK's types). */
const NEWER_THAN_FIXTURES: Record<string, string[]> = {
  // Stripe.Subscription.TrialSettings.EndBehavior.billing_cycle_anchor (nullable).
  subscription: ['trial_settings.end_behavior.billing_cycle_anchor'],
  // Stripe.InvoiceLineItem.Pricing.price_details (the fixture has only its type).
  line_item: ['pricing.price_details'],
};

function unknownFields(
  object: Record<string, unknown>,
  fixture: Record<string, unknown>,
  prefix = '',
): string[] {
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const path = `${prefix}${key}`;
    if (!(key in fixture)) {
      unknown.push(path);
      continue;
    }
    const expected = fixture[key];
    const bothObjects =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      expected !== null &&
      typeof expected === 'object' &&
      !Array.isArray(expected);
    // Metadata is free-form; lists are checked through their items' own fixtures.
    if (bothObjects && key !== 'metadata' && (value as { object?: unknown }).object !== 'list')
      unknown.push(
        ...unknownFields(
          value as Record<string, unknown>,
          expected as Record<string, unknown>,
          `${path}.`,
        ),
      );
  }
  return unknown;
}

const cases: [string, Record<string, unknown>][] = [
  ['subscription', subscriptionFactory({ customer: 'cus_1', userId: 'u1' })],
  ['subscription_item', subscriptionFactory({ customer: 'cus_1' }).items.data[0]],
  ['price', priceFactory(PRICES.proMonthly)],
  ['coupon', couponFactory({ percentOff: 20 })],
  [
    'promotion_code',
    promotionCodeFactory({ code: 'SPRING', coupon: couponFactory({ amountOff: 500 }) }),
  ],
  [
    'checkout.session',
    checkoutSessionFactory({ customer: 'cus_1', subscription: 'sub_1', userId: 'u1' }),
  ],
  ['invoice', invoiceFactory({ customer: 'cus_1', subscription: 'sub_1' })],
  [
    'line_item',
    invoiceLineFactory({
      amount: 1200,
      price: PRICES.proMonthly,
      subscription: 'sub_1',
      subscriptionItem: 'si_1',
      proration: true,
      period: { start: 1_700_000_000, end: 1_702_592_000 },
    }),
  ],
];

describe("the Stripe stand-in's objects against Stripe's fixtures", () => {
  it.each(cases)('%s carries only fields that Stripe sends', (resource, object) => {
    expect(fixtures[resource]).toBeDefined();
    const allowed = NEWER_THAN_FIXTURES[resource] ?? [];
    expect(unknownFields(object, fixtures[resource]).filter((f) => !allowed.includes(f))).toEqual(
      [],
    );
  });

  it('finds a field Stripe does not send', () => {
    expect(
      unknownFields({ id: 'x', invented: 1, plan: { nope: 1 } }, { id: '', plan: {} }),
    ).toEqual(['invented', 'plan.nope']);
  });
});
