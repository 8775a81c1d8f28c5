/**
 * Building the page from data. Text always goes in as text nodes (never as HTML), so nothing
 * a user typed into their name or an event's metadata can become markup.
 */

type Attributes = Record<string, string | number | boolean | undefined | null>;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's content. */
export function fill(element: Element, ...children: (Child | Child[])[]): void {
  element.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

let ids = 0;
/** A unique id for tying a label to its control. */
export const uid = (prefix: string): string => `${prefix}-${++ids}`;

/** A labelled form control: <label for> pointing at the control. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  control.id ||= uid('field');
  const hintElement = hint ? h('small', { id: `${control.id}-hint`, class: 'hint' }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintElement);
}

export function select(
  name: string,
  options: [value: string, label: string][],
  value = '',
): HTMLSelectElement {
  const element = h(
    'select',
    { name },
    options.map(([optionValue, label]) => h('option', { value: optionValue }, label)),
  );
  element.value = value;
  return element;
}

/** A table with a caption and a header row; cells are text or nodes. */
export function table(
  caption: string,
  headers: string[],
  rows: Child[][],
  options: { captionHidden?: boolean; empty?: string } = {},
): HTMLElement {
  const body =
    rows.length > 0
      ? rows.map((row) =>
          h(
            'tr',
            {},
            row.map((cell) => h('td', {}, cell)),
          ),
        )
      : [
          h(
            'tr',
            {},
            h('td', { colspan: headers.length, class: 'muted' }, options.empty ?? 'None'),
          ),
        ];
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      {},
      h('caption', { class: options.captionHidden ? 'visually-hidden' : undefined }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header) => h('th', { scope: 'col' }, header)),
        ),
      ),
      h('tbody', {}, body),
    ),
  );
}

/** A status line that screen readers announce: `alert` for errors, `status` otherwise. */
export function message(kind: 'error' | 'ok' | 'info', text: string): HTMLElement {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});
const number = new Intl.NumberFormat('en-US');

/** Times are shown in UTC, as the API and the analytics count them. */
export const formatTime = (value: string | null | undefined): string =>
  value ? `${dateTime.format(new Date(value))} UTC` : '—';
export const formatNumber = (value: number): string => number.format(value);
