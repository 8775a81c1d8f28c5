import { get, query } from '../api.js';
import { chartFigure, destroyCharts, PALETTE } from '../charts.js';
import { field, fill, formatNumber, h, table } from '../dom.js';
import { navigate } from '../router.js';

export interface Overview {
  range: { from: string; to: string };
  users: { total: number; new: number };
  activeUsers: { dau: number; wau: number; mau: number };
  /** The settled days of the range and its last day (days not settled yet are left out). */
  activeUsersPerDay: { day: string; dau: number; wau: number; mau: number }[];
  planMix: { plan: string; users: number }[];
  signupsPerDay: { day: string; signups: number }[];
  topActions: { action: string; source: string; events: number }[];
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dataTable(caption: string, headers: string[], rows: (string | number)[][]): HTMLElement {
  return h(
    'details',
    { class: 'data' },
    h('summary', {}, `${caption}: the numbers`),
    table(
      caption,
      headers,
      rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell))),
      { captionHidden: true },
    ),
  );
}

function rangeForm(range: { from: string; to: string }): HTMLElement {
  const from = h('input', { type: 'date', name: 'from', value: range.from, required: true });
  const to = h('input', { type: 'date', name: 'to', value: range.to, required: true });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Date range' },
    field('From (UTC)', from),
    field('To (UTC)', to),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(query({ from: from.value, to: to.value }));
  });
  const presets = h(
    'div',
    { class: 'row presets', role: 'group', 'aria-label': 'Quick ranges' },
    [7, 30, 90].map((days) => {
      const button = h('button', { type: 'button', class: 'secondary' }, `Last ${days} days`);
      button.addEventListener('click', () => {
        const today = Date.now();
        navigate(query({ from: utcDay(today - (days - 1) * DAY_MS), to: utcDay(today) }));
      });
      return button;
    }),
  );
  return h('div', {}, form, presets);
}

/** The analytics overview as charts, each with its numbers in a table beside it. */
export async function renderOverview(
  main: HTMLElement,
  _params: Record<string, string>,
  search: URLSearchParams,
): Promise<void> {
  destroyCharts();
  const requested = { from: search.get('from') ?? undefined, to: search.get('to') ?? undefined };
  fill(
    main,
    h('h1', {}, 'Overview'),
    h('p', { class: 'muted', role: 'status' }, 'Loading the overview…'),
  );
  const overview = await get<Overview>(`/admin/analytics/overview${query(requested)}`);
  const { range, users, activeUsers, activeUsersPerDay, planMix, signupsPerDay, topActions } =
    overview;

  const kpi = (name: string, label: string, value: number) =>
    h(
      'div',
      { class: 'kpi', 'data-kpi': name },
      h('dt', {}, label),
      h('dd', {}, formatNumber(value)),
    );

  const signups = chartFigure(
    'chart-signups',
    'Signups per day',
    `${formatNumber(users.new)} signups from ${range.from} to ${range.to}`,
    {
      type: 'line',
      data: {
        labels: signupsPerDay.map((entry) => entry.day),
        datasets: [
          {
            label: 'Signups',
            data: signupsPerDay.map((entry) => entry.signups),
            borderColor: PALETTE[0],
            backgroundColor: PALETTE[0],
            pointRadius: 2,
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
  );
  const windows = [
    ['DAU (the day)', 'dau'],
    ['WAU (7 days)', 'wau'],
    ['MAU (30 days)', 'mau'],
  ] as const;
  const active = chartFigure(
    'chart-active',
    'Active users per day',
    `As of ${range.to}: DAU ${formatNumber(activeUsers.dau)}, WAU ${formatNumber(activeUsers.wau)}, MAU ${formatNumber(activeUsers.mau)}`,
    {
      type: 'line',
      data: {
        labels: activeUsersPerDay.map((entry) => entry.day),
        datasets: windows.map(([label, key], index) => ({
          label,
          data: activeUsersPerDay.map((entry) => entry[key]),
          borderColor: PALETTE[index],
          backgroundColor: PALETTE[index],
          pointRadius: 2,
        })),
      },
      options: {
        plugins: { legend: { position: 'bottom' } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    },
  );
  const plans = chartFigure(
    'chart-plans',
    'Plan mix',
    planMix.map((entry) => `${entry.plan} ${formatNumber(entry.users)}`).join(', '),
    {
      type: 'doughnut',
      data: {
        labels: planMix.map((entry) => `${entry.plan} (${formatNumber(entry.users)})`),
        datasets: [
          {
            label: 'Users',
            data: planMix.map((entry) => entry.users),
            backgroundColor: planMix.map((_, index) => PALETTE[index % PALETTE.length]),
          },
        ],
      },
      options: { plugins: { legend: { position: 'bottom' } } },
    },
  );
  const actions = chartFigure(
    'chart-actions',
    'Top actions',
    topActions
      .slice(0, 5)
      .map((entry) => `${entry.action} ${formatNumber(entry.events)}`)
      .join(', ') || 'none',
    {
      type: 'bar',
      data: {
        labels: topActions.map((entry) => `${entry.action} (${entry.source})`),
        datasets: [
          {
            label: 'Events',
            data: topActions.map((entry) => entry.events),
            backgroundColor: PALETTE[3],
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    },
  );

  fill(
    main,
    h('h1', {}, 'Overview'),
    rangeForm(range),
    h(
      'p',
      { class: 'muted', id: 'overview-range' },
      `UTC days ${range.from} to ${range.to}, inclusive.`,
    ),
    h(
      'dl',
      { class: 'kpis' },
      kpi('users-total', 'Users', users.total),
      kpi('users-new', 'New in range', users.new),
      kpi('dau', 'DAU', activeUsers.dau),
      kpi('wau', 'WAU', activeUsers.wau),
      kpi('mau', 'MAU', activeUsers.mau),
    ),
    h(
      'div',
      { class: 'charts' },
      h(
        'section',
        { 'aria-label': 'Signups per day' },
        signups.figure,
        dataTable(
          'Signups per day',
          ['Day', 'Signups'],
          signupsPerDay.map((e) => [e.day, e.signups]),
        ),
      ),
      h(
        'section',
        { 'aria-label': 'Active users' },
        active.figure,
        dataTable(
          'Active users',
          ['Day', 'DAU', 'WAU', 'MAU'],
          activeUsersPerDay.map((e) => [e.day, e.dau, e.wau, e.mau]),
        ),
      ),
      h(
        'section',
        { 'aria-label': 'Plan mix' },
        plans.figure,
        dataTable(
          'Plan mix',
          ['Plan', 'Users'],
          planMix.map((e) => [e.plan, e.users]),
        ),
      ),
      h(
        'section',
        { 'aria-label': 'Top actions' },
        actions.figure,
        dataTable(
          'Top actions',
          ['Action', 'Source', 'Events'],
          topActions.map((e) => [e.action, e.source, e.events]),
        ),
      ),
    ),
  );
  for (const chart of [signups, active, plans, actions]) chart.draw();
  performance.mark('overview-drawn');
}
