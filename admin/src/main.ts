import './styles.css';
import { api, hasTokens, onSignedOut, refreshToken, setTokens } from './api.js';
import { errorText } from './confirm.js';
import { fill, h, message } from './dom.js';
import { renderActivity } from './pages/activity.js';
import { renderOverview } from './pages/overview.js';
import { renderUser } from './pages/user.js';
import { renderUsers } from './pages/users.js';
import { renderWorkspace, renderWorkspaces } from './pages/workspaces.js';
import { currentPath, interceptLinks, link, match, setRoutes, type Route } from './router.js';
import { enrol, isMfaRequired, refusal, signIn, whoAmI, type Me } from './signin.js';

const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;

const SECTIONS: [path: string, label: string][] = [
  ['', 'Overview'],
  ['users', 'Users'],
  ['activity', 'Activity'],
  ['workspaces', 'Workspaces'],
];

const ROUTES: Route[] = [
  { pattern: '', title: 'Overview', render: renderOverview },
  { pattern: 'users', title: 'Users', render: renderUsers },
  { pattern: 'users/:id', title: 'User', render: renderUser },
  { pattern: 'activity', title: 'Activity', render: renderActivity },
  { pattern: 'workspaces', title: 'Workspaces', render: renderWorkspaces },
  { pattern: 'workspaces/:id', title: 'Workspace', render: renderWorkspace },
];

let admitted = false;
let me: Me | null = null;

async function signOut(): Promise<void> {
  const token = refreshToken();
  setTokens(null);
  admitted = false;
  top.hidden = true;
  if (token) await api('POST', '/auth/logout', { refreshToken: token }).catch(() => undefined);
  await start('You are signed out.');
}

function markCurrentSection(path: string): void {
  const section = path.split('/')[0];
  for (const anchor of nav.querySelectorAll('a')) {
    if (anchor.dataset.section === section) anchor.setAttribute('aria-current', 'page');
    else anchor.removeAttribute('aria-current');
  }
}

async function render(): Promise<void> {
  if (!admitted) return;
  const path = currentPath();
  const found = match(path);
  markCurrentSection(path);
  if (!found) {
    document.title = 'Not found · InsightSheet admin';
    fill(
      main,
      h('h1', {}, 'Page not found'),
      h('p', {}, h('a', { href: link('') }, 'Go to the overview')),
    );
    return;
  }
  document.title = `${found.route.title} · InsightSheet admin`;
  delete main.dataset.rendered;
  try {
    await found.route.render(main, found.params, new URLSearchParams(location.search));
  } catch (error) {
    if (isMfaRequired(error) && me) {
      admitted = false;
      top.hidden = true;
      return enrol(main, me, () => void signOut());
    }
    fill(main, h('h1', {}, found.route.title), message('error', errorText(error)));
  }
  // Tests and scripts wait for this: the page's data is on screen.
  main.dataset.rendered = found.route.pattern || 'overview';
  main.focus({ preventScroll: true });
}

/**
 * Sign-in until an admin is in, then the page asked for. Whether the session's second factor
 * is enough shows at that page's first admin call (403 mfa_required leads to enrolment), so
 * the overview's data is the first thing asked for after the profile.
 */
async function start(notice?: string): Promise<void> {
  admitted = false;
  top.hidden = true;
  if (!hasTokens()) await signIn(main, notice);
  try {
    me = await whoAmI();
  } catch (error) {
    setTokens(null);
    return start(errorText(error));
  }
  if (me.role !== 'admin') return refusal(main, me, () => void signOut());
  who.textContent = me.email;
  admitted = true;
  top.hidden = false;
  await render();
}

fill(
  nav,
  SECTIONS.map(([path, label]) =>
    h('li', {}, h('a', { href: link(path), 'data-section': path.split('/')[0] }, label)),
  ),
);
document.getElementById('sign-out')!.addEventListener('click', () => void signOut());
onSignedOut(() => void start('Your session ended: sign in again.'));
setRoutes(ROUTES, () => void render());
interceptLinks();
void start();
