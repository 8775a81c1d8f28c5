import { get, query } from '../api.js';
import { field, fill, formatNumber, formatTime, h, table } from '../dom.js';
import { link, navigate } from '../router.js';
import { pager } from './users.js';

interface AdminWorkspace {
  id: string;
  name: string;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

interface WorkspacePage {
  items: AdminWorkspace[];
  total: number;
  page: number;
  limit: number;
}

interface Member {
  userId: string;
  email: string;
  name: string;
  role: string;
  joinedAt: string;
}

const PAGE_SIZE = 25;

export async function renderWorkspaces(
  main: HTMLElement,
  _params: Record<string, string>,
  search: URLSearchParams,
): Promise<void> {
  const text = search.get('search') ?? '';
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const input = h('input', { type: 'search', name: 'search', value: text, maxlength: 100 });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Find workspaces' },
    field('Name', input),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Search')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`workspaces${query({ search: input.value.trim() })}`);
  });
  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  fill(main, h('h1', {}, 'Workspaces'), form, results);
  const found = await get<WorkspacePage>(
    `/admin/workspaces${query({ search: text, page, limit: PAGE_SIZE })}`,
  );
  fill(
    results,
    h('p', { class: 'muted' }, `${formatNumber(found.total)} workspaces`),
    table(
      'Workspaces',
      ['Name', 'Members', 'Created'],
      found.items.map((workspace) => [
        h('a', { href: link(`workspaces/${workspace.id}`) }, workspace.name),
        formatNumber(workspace.memberCount),
        formatTime(workspace.createdAt),
      ]),
      { captionHidden: true, empty: 'No workspace matches' },
    ),
    pager('Pages of workspaces', found.page, Math.ceil(found.total / found.limit), (target) =>
      link(`workspaces${query({ search: text, page: target })}`),
    ),
  );
}

export async function renderWorkspace(
  main: HTMLElement,
  params: Record<string, string>,
): Promise<void> {
  const members = await get<Member[]>(`/admin/workspaces/${encodeURIComponent(params.id)}/members`);
  fill(
    main,
    h('h1', {}, 'Workspace members'),
    h('p', {}, h('a', { href: link('workspaces') }, '← All workspaces')),
    table(
      'Members',
      ['Email', 'Name', 'Role', 'Joined'],
      members.map((member) => [
        h('a', { href: link(`users/${member.userId}`) }, member.email),
        member.name,
        member.role,
        formatTime(member.joinedAt),
      ]),
      { captionHidden: true, empty: 'No members' },
    ),
  );
}
