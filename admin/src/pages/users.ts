import { get, query } from '../api.js';
import { field, fill, formatNumber, formatTime, h, select, table } from '../dom.js';
import { link, navigate } from '../router.js';

export interface AdminUser {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string;
  role: string;
  isActive: boolean;
  lastLogin: string | null;
  createdAt: string;
  subscription: {
    plan: string;
    status: string;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
  } | null;
}

interface UserPage {
  items: AdminUser[];
  total: number;
  page: number;
  limit: number;
}

const PAGE_SIZE = 25;

/** Previous / page n of m / next, as links that keep the filters. */
export function pager(
  label: string,
  page: number,
  pages: number,
  href: (page: number) => string,
): HTMLElement {
  const step = (target: number, text: string, rel: string) =>
    target >= 1 && target <= pages
      ? h('a', { href: href(target), rel, class: 'button secondary' }, text)
      : h('span', { class: 'button secondary disabled', 'aria-disabled': 'true' }, text);
  return h(
    'nav',
    { class: 'pager', 'aria-label': label },
    step(page - 1, '← Previous', 'prev'),
    h('span', { class: 'page-of' }, `Page ${page} of ${Math.max(pages, 1)}`),
    step(page + 1, 'Next →', 'next'),
  );
}

/** Users found by email or name, role and plan, a page at a time; the filters live in the URL. */
export async function renderUsers(
  main: HTMLElement,
  _params: Record<string, string>,
  search: URLSearchParams,
): Promise<void> {
  const filters = {
    search: search.get('search') ?? '',
    role: search.get('role') ?? '',
    plan: search.get('plan') ?? '',
  };
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const text = h('input', {
    type: 'search',
    name: 'search',
    value: filters.search,
    maxlength: 100,
  });
  const role = select(
    'role',
    [
      ['', 'Any role'],
      ['user', 'User'],
      ['admin', 'Admin'],
    ],
    filters.role,
  );
  const plan = select(
    'plan',
    [
      ['', 'Any plan'],
      ['free', 'Free'],
      ['pro', 'Pro'],
      ['business', 'Business'],
    ],
    filters.plan,
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Find users' },
    field('Email or name', text),
    field('Role', role),
    field('Plan', plan),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Search')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`users${query({ search: text.value.trim(), role: role.value, plan: plan.value })}`);
  });
  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  fill(main, h('h1', {}, 'Users'), form, results);

  const found = await get<UserPage>(`/admin/users${query({ ...filters, page, limit: PAGE_SIZE })}`);
  const pages = Math.ceil(found.total / found.limit);
  fill(
    results,
    h('p', { class: 'muted', id: 'users-total' }, `${formatNumber(found.total)} users found`),
    table(
      'Users',
      ['Email', 'Name', 'Role', 'Plan', 'Active', 'Signed up'],
      found.items.map((user) => [
        h('a', { href: link(`users/${user.id}`) }, user.email),
        user.name,
        user.role,
        user.subscription?.plan ?? '—',
        user.isActive ? 'yes' : 'no',
        formatTime(user.createdAt),
      ]),
      { captionHidden: true, empty: 'No user matches' },
    ),
    pager('Pages of users', found.page, pages, (target) =>
      link(`users${query({ ...filters, page: target })}`),
    ),
  );
}
