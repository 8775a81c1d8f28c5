import { get, query } from '../api.js';
import { field, fill, formatTime, h, table } from '../dom.js';
import { link, navigate } from '../router.js';

export interface ActivityItem {
  id: string;
  userId: string | null;
  action: string;
  resource: string | null;
  resourceId: string | null;
  metadata: Record<string, unknown> | null;
  source: string;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
}

export interface ActivityPage {
  items: ActivityItem[];
  nextCursor: string | null;
}

export interface ActivityFilters {
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
}

export function activityTable(
  caption: string,
  items: ActivityItem[],
  withUser = true,
): HTMLElement {
  const headers = [
    'When',
    'Action',
    'Source',
    ...(withUser ? ['User'] : []),
    'Resource',
    'IP address',
  ];
  return table(
    caption,
    headers,
    items.map((item) => [
      formatTime(item.createdAt),
      h('code', {}, item.action),
      item.source,
      ...(withUser
        ? [
            item.userId
              ? h('a', { href: link(`users/${item.userId}`) }, item.userId.slice(0, 8))
              : '—',
          ]
        : []),
      [item.resource, item.resourceId].filter(Boolean).join(' ') || '—',
      item.ipAddress ?? '—',
    ]),
    { captionHidden: true, empty: 'No events' },
  );
}

/**
 * Newest first, a page at a time by the API's cursor. The cursors of the pages already seen are
 * kept, so "Newer" goes back without asking the API for a reverse order.
 */
export function cursorPager(
  container: HTMLElement,
  label: string,
  load: (cursor: string | undefined) => Promise<ActivityPage>,
  render: (page: ActivityPage) => HTMLElement,
): Promise<void> {
  const seen: (string | undefined)[] = [];
  let cursor: string | undefined;
  const show = async () => {
    const page = await load(cursor);
    const newer = h(
      'button',
      { type: 'button', class: 'secondary', disabled: seen.length === 0 },
      '← Newer',
    );
    const older = h(
      'button',
      { type: 'button', class: 'secondary', disabled: !page.nextCursor },
      'Older →',
    );
    newer.addEventListener('click', () => {
      cursor = seen.pop();
      void show().then(() => container.querySelector<HTMLButtonElement>('.pager button')?.focus());
    });
    older.addEventListener('click', () => {
      seen.push(cursor);
      cursor = page.nextCursor ?? undefined;
      void show().then(() =>
        container.querySelector<HTMLButtonElement>('.pager button:last-of-type')?.focus(),
      );
    });
    fill(
      container,
      render(page),
      h(
        'nav',
        { class: 'pager', 'aria-label': label },
        newer,
        h('span', { class: 'page-of' }, `Page ${seen.length + 1}`),
        older,
      ),
    );
  };
  return show();
}

const toIso = (local: string) => (local ? new Date(`${local}:00Z`).toISOString() : undefined);
const fromIso = (iso: string | null) => (iso ? iso.slice(0, 16) : '');

/** Everyone's events, filtered by user, action and time (UTC), newest first. */
export async function renderActivity(
  main: HTMLElement,
  _params: Record<string, string>,
  search: URLSearchParams,
): Promise<void> {
  const filters: ActivityFilters = {
    userId: search.get('userId') ?? undefined,
    action: search.get('action') ?? undefined,
    from: search.get('from') ?? undefined,
    to: search.get('to') ?? undefined,
  };
  const userId = h('input', {
    type: 'text',
    name: 'userId',
    value: filters.userId ?? '',
    spellcheck: 'false',
  });
  const action = h('input', {
    type: 'text',
    name: 'action',
    value: filters.action ?? '',
    spellcheck: 'false',
    placeholder: 'auth.login',
  });
  const from = h('input', {
    type: 'datetime-local',
    name: 'from',
    value: fromIso(filters.from ?? null),
  });
  const to = h('input', { type: 'datetime-local', name: 'to', value: fromIso(filters.to ?? null) });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter activity' },
    field('User id', userId, 'A user’s UUID'),
    field('Action', action, 'Exact, e.g. auth.login'),
    field('From (UTC)', from),
    field('To (UTC)', to),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Filter')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(
      `activity${query({
        userId: userId.value.trim(),
        action: action.value.trim(),
        from: toIso(from.value),
        to: toIso(to.value),
      })}`,
    );
  });
  const results = h(
    'div',
    { id: 'activity-results', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  fill(main, h('h1', {}, 'Activity'), form, results);
  await cursorPager(
    results,
    'Pages of activity',
    (cursor) => get<ActivityPage>(`/admin/activity${query({ ...filters, cursor, limit: 50 })}`),
    (page) => activityTable('Activity', page.items),
  );
}
