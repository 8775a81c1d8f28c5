import { api, get, query } from '../api.js';
import { confirmed, errorText } from '../confirm.js';
import { field, fill, formatTime, h, message, select, table } from '../dom.js';
import { activityTable, cursorPager, type ActivityPage } from './activity.js';
import type { AdminUser } from './users.js';

interface Session {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  device: { browser: string | null; os: string | null };
  mfa: boolean;
}

interface TimelineEntry {
  occurredAt: string;
  cause: string;
  summary: string;
}

function profile(user: AdminUser): HTMLElement {
  const row = (label: string, value: string) => [h('dt', {}, label), h('dd', {}, value)];
  const subscription = user.subscription;
  return h(
    'dl',
    { class: 'facts', id: 'profile' },
    row('Email', `${user.email}${user.emailVerified ? ' (verified)' : ' (not verified)'}`),
    row('Name', user.name),
    row('Role', user.role),
    row('Active', user.isActive ? 'yes' : 'no (deactivated)'),
    row('Last sign-in', formatTime(user.lastLogin)),
    row('Signed up', formatTime(user.createdAt)),
    row(
      'Plan',
      subscription
        ? `${subscription.plan}, ${subscription.status}${subscription.currentPeriodEnd ? `, until ${formatTime(subscription.currentPeriodEnd)}` : ''}${subscription.cancelAtPeriodEnd ? ', cancels at period end' : ''}`
        : 'none',
    ),
    row('Id', user.id),
  );
}

/** Deactivate or reactivate, change the role, grant a plan, end every session: each confirmed. */
function actions(user: AdminUser, reload: () => Promise<void>): HTMLElement {
  const status = h('div', { class: 'status', id: 'action-status' });
  const path = `/admin/users/${user.id}`;

  const toggle = h(
    'button',
    { type: 'button', class: user.isActive ? 'danger' : undefined },
    user.isActive ? 'Deactivate' : 'Reactivate',
  );
  toggle.addEventListener('click', async () => {
    const ok = await confirmed(
      status,
      user.isActive
        ? `Deactivate ${user.email}? Their sessions end and their tokens are refused at once.`
        : `Reactivate ${user.email}? They can sign in again.`,
      () => api('PATCH', path, { isActive: !user.isActive }),
      user.isActive ? `${user.email} is deactivated.` : `${user.email} is active again.`,
      user.isActive ? 'Deactivate' : 'Reactivate',
    );
    if (ok) await reload();
  });

  const role = select(
    'role',
    [
      ['user', 'User'],
      ['admin', 'Admin'],
    ],
    user.role,
  );
  const roleForm = h(
    'form',
    { class: 'inline', 'aria-label': 'Change role' },
    field('Role', role),
    h('button', { type: 'submit', class: 'secondary' }, 'Change role'),
  );
  roleForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await confirmed(
      status,
      `Make ${user.email} ${role.value === 'admin' ? 'an administrator' : 'a regular user'}? Their access tokens are refused from now on.`,
      () => api('PATCH', path, { role: role.value }),
      `${user.email} is now ${role.value}.`,
      'Change role',
    );
    if (ok) await reload();
  });

  const plan = select(
    'plan',
    [
      ['free', 'Free (ends a grant)'],
      ['pro', 'Pro'],
      ['business', 'Business'],
    ],
    user.subscription?.plan ?? 'free',
  );
  const until = h('input', { type: 'date', name: 'currentPeriodEnd' });
  const planForm = h(
    'form',
    { class: 'inline', 'aria-label': 'Grant a plan' },
    field('Plan', plan),
    field('Until (optional)', until, 'Empty: no end date'),
    h('button', { type: 'submit', class: 'secondary' }, 'Grant plan'),
  );
  planForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body: Record<string, string> = { plan: plan.value };
    if (until.value) body.currentPeriodEnd = new Date(`${until.value}T23:59:59Z`).toISOString();
    const ok = await confirmed(
      status,
      `Grant the ${plan.value} plan to ${user.email}${until.value ? ` until ${until.value}` : ''}?`,
      () => api('PUT', `${path}/subscription`, body),
      `${user.email} now has the ${plan.value} plan.`,
      'Grant plan',
    );
    if (ok) await reload();
  });

  const end = h('button', { type: 'button', class: 'secondary' }, 'End all sessions');
  end.addEventListener('click', async () => {
    const ok = await confirmed(
      status,
      `End every session of ${user.email}? They must sign in again on every device.`,
      () => api('DELETE', `${path}/sessions`),
      `Every session of ${user.email} has ended.`,
      'End sessions',
    );
    if (ok) await reload();
  });

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title' }, 'Actions'),
    h('div', { class: 'row' }, toggle, end),
    roleForm,
    planForm,
    status,
  );
}

async function section(
  title: string,
  id: string,
  load: () => Promise<HTMLElement>,
): Promise<HTMLElement> {
  let body: HTMLElement;
  try {
    body = await load();
  } catch (error) {
    body = message('error', errorText(error));
  }
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), body);
}

/** One user: profile, actions, sessions, subscription timeline and activity. */
export async function renderUser(main: HTMLElement, params: Record<string, string>): Promise<void> {
  const id = params.id;
  const notice = main.querySelector('#action-status')?.cloneNode(true) as HTMLElement | undefined;
  const user = await get<AdminUser>(`/admin/users/${encodeURIComponent(id)}`);
  const reload = () => renderUser(main, params);

  const [sessions, timeline] = await Promise.all([
    section('Sessions', 'sessions-title', async () => {
      const list = await get<Session[]>(`/admin/users/${id}/sessions`);
      return table(
        'Live sessions',
        ['Started', 'Last used', 'Device', 'IP address', 'Second factor'],
        list.map((session) => [
          formatTime(session.createdAt),
          formatTime(session.lastUsedAt),
          [session.device.browser, session.device.os].filter(Boolean).join(' on ') ||
            session.userAgent ||
            '—',
          session.ip ?? '—',
          session.mfa ? 'yes' : 'no',
        ]),
        { captionHidden: true, empty: 'No live session' },
      );
    }),
    section('Subscription and billing timeline', 'timeline-title', async () => {
      const entries = await get<TimelineEntry[]>(`/admin/users/${id}/subscription/timeline`);
      return table(
        'Billing timeline',
        ['When', 'Cause', 'What changed'],
        entries.map((entry) => [formatTime(entry.occurredAt), entry.cause, entry.summary]),
        { captionHidden: true, empty: 'No change since signup' },
      );
    }),
  ]);
  const activity = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));

  fill(
    main,
    h('h1', {}, user.name || user.email),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'profile-title' },
      h('h2', { id: 'profile-title' }, 'Profile'),
      profile(user),
    ),
    actions(user, reload),
    sessions,
    timeline,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'activity-title' },
      h('h2', { id: 'activity-title' }, 'Activity'),
      activity,
    ),
  );
  // The outcome of the action that led here stays in view after the reload.
  if (notice) main.querySelector('#action-status')?.replaceWith(notice);
  await cursorPager(
    activity,
    'Pages of this user’s activity',
    (cursor) => get<ActivityPage>(`/admin/activity${query({ userId: id, cursor, limit: 20 })}`),
    (page) => activityTable('Activity', page.items, false),
  );
}
