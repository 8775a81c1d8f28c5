import { describe, expect, it } from '@jest/globals';
import type { Cache } from 'cache-manager';
import type Stripe from 'stripe';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { INVOICES_CACHE_TTL_MS, InvoicesService } from './invoices.service.js';

/** A cache that keeps JSON copies, as Redis does (dates come back as strings). */
class JsonCache {
  readonly entries = new Map<string, { value: string; ttl?: number }>();
  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    return entry ? (JSON.parse(entry.value) as T) : undefined;
  }
  async set(key: string, value: unknown, ttl?: number) {
    this.entries.set(key, { value: JSON.stringify(value), ttl });
  }
  async del(key: string) {
    return this.entries.delete(key);
  }
}

const invoice = (id: string, created: number) =>
  ({
    id,
    number: `N-${id}`,
    status: 'paid',
    total: 1200,
    currency: 'usd',
    created,
    hosted_invoice_url: `https://invoice.test/${id}`,
    invoice_pdf: `https://invoice.test/${id}.pdf`,
  }) as Stripe.Invoice;

function setup() {
  const asked: Stripe.InvoiceListParams[] = [];
  const stripe = {
    invoices: {
      list: async (params: Stripe.InvoiceListParams) => {
        asked.push(params);
        return { data: [invoice('in_2', 2000), invoice('in_1', 1000)].slice(0, params.limit) };
      },
    },
  } as unknown as Stripe;
  const cache = new JsonCache();
  return { service: new InvoicesService(stripe, cache as unknown as Cache), asked, cache };
}

const account = (customer: string | null): BillingAccount => ({
  id: 'a1',
  userId: 'u1',
  workspaceId: null,
  seats: null,
  plan: 'pro',
  status: 'active',
  stripeCustomerId: customer,
  stripeSubscriptionId: null,
  trialUsedAt: null,
});

describe(InvoicesService.name, () => {
  it('maps Stripe invoices to the documented shape', async () => {
    const { service } = setup();
    expect(await service.list(account('cus_1'), 24)).toEqual([
      {
        id: 'in_2',
        number: 'N-in_2',
        status: 'paid',
        total: 1200,
        currency: 'usd',
        createdAt: new Date(2_000_000),
        hostedInvoiceUrl: 'https://invoice.test/in_2',
        pdfUrl: 'https://invoice.test/in_2.pdf',
      },
      expect.objectContaining({ id: 'in_1', createdAt: new Date(1_000_000) }),
    ]);
  });

  it('answers [] without a customer and asks Stripe nothing', async () => {
    const { service, asked } = setup();
    expect(await service.list(account(null), 24)).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('serves a list of as many or fewer from the cache (dates revived), and asks again for more', async () => {
    const { service, asked, cache } = setup();
    await service.list(account('cus_1'), 24);
    expect(cache.entries.get('billing:invoices:cus_1')?.ttl).toBe(INVOICES_CACHE_TTL_MS);
    const cached = await service.list(account('cus_1'), 1);
    expect(cached).toEqual([
      expect.objectContaining({ id: 'in_2', createdAt: new Date(2_000_000) }),
    ]);
    expect(asked).toHaveLength(1);
    await service.list(account('cus_1'), 50);
    expect(asked.map((params) => params.limit)).toEqual([24, 50]);
  });

  it("forget drops the customer's list", async () => {
    const { service, asked } = setup();
    await service.list(account('cus_1'), 24);
    await service.forget('cus_1');
    await service.list(account('cus_1'), 24);
    expect(asked).toHaveLength(2);
  });
});
