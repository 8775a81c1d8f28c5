import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clientAddress, strongPassword, uniqueEmail } from '../factories/users.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createClient, createConfig, type Client } from './generated/client/index.js';
import {
  accountExport,
  activityMine,
  activityRecord,
  activityRecordBatch,
  authLogin,
  authLogout,
  authRefresh,
  authRegister,
  plansList,
  subscriptionsConsume,
  subscriptionsListUsage,
  subscriptionsMe,
  usersMe,
  type ActivityItemDto,
  type AuthResponseDto,
  type ErrorBodyDto,
  type MfaRequiredDto,
} from './generated/index.js';

/**
 * The web app's journey through the client generated from the served document: if the
 * document's types are wrong, this file stops compiling (npm run typecheck) or these
 * assertions fail.
 */
/** Without two-step verification, sign-in answers the token pair rather than a challenge. */
function tokensOf(answer: AuthResponseDto | MfaRequiredDto): AuthResponseDto {
  if ('mfaRequired' in answer) throw new Error('unexpected second-factor challenge');
  return answer;
}

describe('the generated client against the real app', () => {
  let api: TestApp;
  let client: Client;

  beforeAll(async () => {
    // No grace window for a second tab: a replayed refresh token is refused at once.
    api = await startTestApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
    client = createClient(createConfig({ baseUrl: api.url, headers: clientAddress() }));
  });
  afterAll(() => api?.close());

  it('registers, signs in, pages activity, reads plans and usage, exports and signs out', async () => {
    const email = uniqueEmail('client');
    const password = strongPassword();

    const registered = await authRegister({ client, body: { email, password, name: 'Ada' } });
    expect(registered.response.status).toBe(201);
    expect(registered.data?.user.email).toBe(email);

    const signedIn = await authLogin({ client, body: { email, password } });
    expect(signedIn.response.status).toBe(200);
    const session = tokensOf(signedIn.data!);
    let auth = session.accessToken;
    const as = () => ({ client, auth: () => auth });

    const me = await usersMe(as());
    expect(me.data).toMatchObject({ email, role: 'user', lastLogin: expect.any(String) });
    const subscription = me.data!.subscription!;
    expect(subscription).toEqual({
      plan: 'free',
      status: 'active',
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      features: expect.objectContaining({ ai_insights: false, export_formats: ['csv'] }),
      limits: expect.objectContaining({ analyses_per_day: 10 }),
      source: 'free',
      workspaceId: null,
    });

    const refreshed = await authRefresh({ client, body: { refreshToken: session.refreshToken } });
    expect(refreshed.response.status).toBe(200);
    auth = refreshed.data!.accessToken;
    const replayed = await authRefresh({ client, body: { refreshToken: session.refreshToken } });
    expect(replayed.response.status).toBe(401);
    const refusal: ErrorBodyDto | undefined = replayed.error;
    expect(refusal).toMatchObject({ statusCode: 401, requestId: expect.any(String) });

    // The replay revoked that login; sign in again and keep its tokens.
    const again = tokensOf((await authLogin({ client, body: { email, password } })).data!);
    auth = again.accessToken;

    const single = await activityRecord({
      ...as(),
      body: { action: 'sheet.opened', resource: 'sheet', resourceId: 'local-1' },
    });
    expect(single.response.status).toBe(202);
    const batch = await activityRecordBatch({
      ...as(),
      body: {
        events: [1, 2, 3, 4].map((n) => ({ action: 'sheet.analysed', metadata: { n } })),
      },
    });
    expect(batch.response.status).toBe(202);
    expect(batch.data).toEqual({ accepted: 4 });

    const seen: ActivityItemDto[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await activityMine({ ...as(), query: { limit: 2, cursor } });
      expect(page.response.status).toBe(200);
      seen.push(...page.data!.items);
      cursor = page.data!.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined && pages < 20);
    const mine = seen.filter((item) => item.source === 'client').map((item) => item.action);
    expect(mine).toEqual([
      'sheet.analysed',
      'sheet.analysed',
      'sheet.analysed',
      'sheet.analysed',
      'sheet.opened',
    ]);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.map((item) => item.id)).size).toBe(seen.length);

    const plans = await plansList({ client });
    expect(plans.data?.map((plan) => plan.id)).toEqual(['free', 'pro', 'business']);
    expect(plans.data?.[1].prices.month).toMatchObject({ amount: 1200, currency: 'usd' });
    expect(plans.data?.[2].limits.analyses_per_day).toBeNull();

    const current = await subscriptionsMe(as());
    expect(current.data).toMatchObject({ plan: 'free', source: 'free' });
    expect(current.data?.limits.analyses_per_day).toBe(10);

    const before = await subscriptionsListUsage(as());
    expect(before.data).toContainEqual(
      expect.objectContaining({ feature: 'analyses', used: 0, limit: 10, remaining: 10 }),
    );
    for (let used = 1; used <= 10; used += 1) {
      const consumed = await subscriptionsConsume({ ...as(), path: { feature: 'analyses' } });
      expect(consumed.data).toMatchObject({ used, remaining: 10 - used });
    }
    const exhausted = await subscriptionsConsume({ ...as(), path: { feature: 'analyses' } });
    expect(exhausted.response.status).toBe(402);
    expect(exhausted.error).toMatchObject({ statusCode: 402, error: 'quota_exceeded' });
    const notInPlan = await subscriptionsConsume({ ...as(), path: { feature: 'ai_queries' } });
    expect(notInPlan.response.status).toBe(403);
    expect(notInPlan.error?.error).toBe('feature_not_in_plan');

    const exported = await accountExport(as());
    expect(exported.data?.profile.email).toBe(email);
    expect(exported.data?.activity.map((item) => item.action)).toEqual(
      expect.arrayContaining(['sheet.opened', 'sheet.analysed']),
    );
    expect(exported.data?.sessions.length).toBeGreaterThanOrEqual(1);

    const loggedOut = await authLogout({ client, body: { refreshToken: again.refreshToken } });
    expect(loggedOut.response.status).toBe(204);
    const afterLogout = await usersMe(as());
    expect(afterLogout.response.status).toBe(401);
    expect(afterLogout.error?.statusCode).toBe(401);
  });
});
