import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type Stripe from 'stripe';
import { evictNowAndLater } from '../../common/cache/now-and-later.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import type { InvoiceDto } from './dto/invoice.dto.js';
import { callStripe, STRIPE } from './stripe.client.js';

/** How long a customer's invoice list is served from the cache (a webhook drops it sooner). */
export const INVOICES_CACHE_TTL_MS = 60_000;

interface CachedInvoices {
  /** How many Stripe was asked for: a request for as many or fewer is served from here. */
  limit: number;
  items: (Omit<InvoiceDto, 'createdAt'> & { createdAt: string | Date })[];
}

/**
 * A billing account's invoices, newest first, as Stripe lists them. One cache entry per
 * customer (in Redis when configured, so every instance shares it), kept a minute and
 * dropped when a webhook about the customer arrives.
 */
@Injectable()
export class InvoicesService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  async list(account: BillingAccount, limit: number): Promise<InvoiceDto[]> {
    const customer = account.stripeCustomerId;
    if (!customer) return [];
    const key = this.key(customer);
    const cached = await this.cache.get<CachedInvoices>(key).catch(() => undefined);
    if (cached && cached.limit >= limit) return cached.items.slice(0, limit).map(revived);
    const stripe = this.client();
    const page = await callStripe(() => stripe.invoices.list({ customer, limit }));
    const items = page.data.map(invoiceDtoOf);
    await this.cache.set(key, { limit, items }, INVOICES_CACHE_TTL_MS).catch(() => undefined);
    return items;
  }

  /** Drops a customer's cached list (now, and again a moment later against a read in flight). */
  forget(customer: string): Promise<void> {
    return evictNowAndLater(this.cache, this.key(customer));
  }

  private key(customer: string): string {
    return `billing:invoices:${customer}`;
  }

  private client(): Stripe {
    if (!this.stripe) throw new Error('Stripe is not configured');
    return this.stripe;
  }
}

export function invoiceDtoOf(invoice: Stripe.Invoice): InvoiceDto {
  return {
    id: invoice.id,
    number: invoice.number,
    status: invoice.status,
    total: invoice.total,
    currency: invoice.currency,
    createdAt: new Date(invoice.created * 1000),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    pdfUrl: invoice.invoice_pdf ?? null,
  };
}

/** Dates come back from a JSON cache as strings. */
function revived(item: CachedInvoices['items'][number]): InvoiceDto {
  return { ...item, createdAt: new Date(item.createdAt) };
}
