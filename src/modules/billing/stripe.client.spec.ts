import { describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { ServiceUnavailableWithRetryException } from '../../common/errors/service-unavailable.exception.js';
import { callStripe } from './stripe.client.js';

const failing = (error: unknown) => callStripe(() => Promise.reject(error));

describe(callStripe.name, () => {
  // Issue 10, item 12: Stripe unreachable, failing or throttling is a 503 with Retry-After.
  it.each([
    ['unreachable', new Stripe.errors.StripeConnectionError({ message: 'connect ECONNREFUSED' })],
    ['failing (500)', new Stripe.errors.StripeAPIError({ message: 'boom', statusCode: 500 })],
    ['unavailable (503)', new Stripe.errors.StripeAPIError({ message: 'down', statusCode: 503 })],
  ])('turns Stripe %s into a 503 with Retry-After', async (_case, error) => {
    const thrown = await failing(error).catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(ServiceUnavailableWithRetryException);
    expect((thrown as ServiceUnavailableWithRetryException).getStatus()).toBe(503);
    expect((thrown as ServiceUnavailableWithRetryException).retryAfterSeconds).toBeGreaterThan(0);
  });

  it("keeps Stripe's own Retry-After when it throttles (429)", async () => {
    const error = new Stripe.errors.StripeRateLimitError({
      message: 'Too many requests',
      statusCode: 429,
      headers: { 'retry-after': '7' },
    });
    const thrown = (await failing(error).catch((caught: unknown) => caught)) as {
      retryAfterSeconds?: number;
    };
    expect(thrown).toBeInstanceOf(ServiceUnavailableWithRetryException);
    expect(thrown.retryAfterSeconds).toBe(7);
  });

  it('passes on mistakes in the request and errors that are not from Stripe', async () => {
    const invalid = new Stripe.errors.StripeInvalidRequestError({
      message: 'No such customer',
      statusCode: 404,
    });
    await expect(failing(invalid)).rejects.toBe(invalid);
    const card = new Stripe.errors.StripeCardError({ message: 'declined', statusCode: 402 });
    await expect(failing(card)).rejects.toBe(card);
    const database = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(failing(database)).rejects.toBe(database);
  });
});
