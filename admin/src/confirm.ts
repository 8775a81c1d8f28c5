import { ApiError } from './api.js';
import { message } from './dom.js';

/** Asks in a modal dialog (focus trapped, Escape cancels); true when the admin confirms. */
export function confirmAction(text: string, confirmLabel = 'Confirm'): Promise<boolean> {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  document.getElementById('confirm-text')!.textContent = text;
  document.getElementById('confirm-ok')!.textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), {
      once: true,
    });
  });
}

/**
 * Runs an action after confirmation and shows its outcome in `status`: the API's error as it
 * said it, or `done`. True when the action ran and succeeded.
 */
export async function confirmed(
  status: HTMLElement,
  question: string,
  action: () => Promise<unknown>,
  done: string,
  confirmLabel?: string,
): Promise<boolean> {
  if (!(await confirmAction(question, confirmLabel))) return false;
  status.replaceChildren(message('info', 'Working…'));
  try {
    await action();
    status.replaceChildren(message('ok', done));
    return true;
  } catch (error) {
    status.replaceChildren(message('error', errorText(error)));
    return false;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `The API refused: ${error.plain}`;
  return `Could not reach the API: ${error instanceof Error ? error.message : String(error)}`;
}
