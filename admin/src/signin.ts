import { api, ApiError, setTokens, type TokenPair } from './api.js';
import { errorText } from './confirm.js';
import { fill, field, h, message } from './dom.js';

/** The six-digit field of an authenticator app's code. */
function codeInput(): HTMLInputElement {
  return h('input', {
    type: 'text',
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    required: true,
  });
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: string;
}

interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: ('totp' | 'recovery_code' | 'webauthn')[];
}

type LoginAnswer = TokenPair | MfaChallenge;

const isChallenge = (answer: LoginAnswer): answer is MfaChallenge =>
  (answer as MfaChallenge).mfaRequired === true;

/** A passkey assertion, as the API takes it (the credential's toJSON()). */
async function passkeyAssertion(): Promise<unknown> {
  const options = await api<PublicKeyCredentialRequestOptionsJSON>(
    'POST',
    '/auth/passkeys/login/options',
  );
  const credential = (await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was chosen');
  return credential.toJSON();
}

function heading(main: HTMLElement, title: string, ...rest: Node[]): void {
  fill(main, h('section', { class: 'card narrow' }, h('h1', {}, title), ...rest));
  main.focus();
}

/**
 * Password, then the second factor the API asks for (an authenticator code, a recovery code or
 * a passkey), or a passkey alone. Resolves once the API has handed out a token pair.
 */
export function signIn(main: HTMLElement, notice?: string): Promise<void> {
  return new Promise((resolve) => {
    const status = h('div', { class: 'status' });
    const email = h('input', {
      type: 'email',
      name: 'email',
      autocomplete: 'username',
      required: true,
    });
    const password = h('input', {
      type: 'password',
      name: 'password',
      autocomplete: 'current-password',
      required: true,
    });
    const form = h(
      'form',
      { 'aria-label': 'Sign in' },
      field('Email', email),
      field('Password', password),
      h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')),
    );
    const passkey = h('button', { type: 'button', class: 'secondary' }, 'Sign in with a passkey');
    if (typeof PublicKeyCredential === 'undefined') passkey.hidden = true;

    const done = (pair: TokenPair) => {
      setTokens(pair);
      resolve();
    };

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      status.replaceChildren(message('info', 'Signing in…'));
      try {
        const answer = await api<LoginAnswer>('POST', '/auth/login', {
          email: email.value,
          password: password.value,
        });
        if (isChallenge(answer)) secondFactor(answer, done);
        else done(answer);
      } catch (error) {
        status.replaceChildren(message('error', errorText(error)));
      }
    });
    passkey.addEventListener('click', async () => {
      status.replaceChildren(message('info', 'Waiting for your passkey…'));
      try {
        done(
          await api<TokenPair>('POST', '/auth/passkeys/login', {
            response: await passkeyAssertion(),
          }),
        );
      } catch (error) {
        status.replaceChildren(message('error', errorText(error)));
      }
    });

    heading(
      main,
      'Sign in to the admin console',
      notice ? message('info', notice) : document.createTextNode(''),
      form,
      h('p', { class: 'or' }, 'or'),
      passkey,
      status,
    );
    email.focus();

    function secondFactor(challenge: MfaChallenge, finish: (pair: TokenPair) => void): void {
      const factorStatus = h('div', { class: 'status' });
      const code = codeInput();
      const recovery = h('input', { type: 'text', name: 'recoveryCode', autocomplete: 'off' });
      const verify = async (body: Record<string, unknown>) => {
        factorStatus.replaceChildren(message('info', 'Checking…'));
        try {
          finish(
            await api<TokenPair>('POST', '/auth/mfa/verify', {
              mfaToken: challenge.mfaToken,
              ...body,
            }),
          );
        } catch (error) {
          factorStatus.replaceChildren(message('error', errorText(error)));
        }
      };
      const codeForm = h(
        'form',
        { 'aria-label': 'Authenticator code' },
        field('Code from your authenticator app', code, 'Six digits'),
        h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Verify')),
      );
      codeForm.addEventListener('submit', (event) => {
        event.preventDefault();
        void verify({ code: code.value.trim() });
      });
      const recoveryForm = h(
        'form',
        { 'aria-label': 'Recovery code' },
        field('Recovery code', recovery),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'secondary' }, 'Use recovery code'),
        ),
      );
      recoveryForm.addEventListener('submit', (event) => {
        event.preventDefault();
        void verify({ recoveryCode: recovery.value.trim() });
      });
      const passkeyFactor = h('button', { type: 'button', class: 'secondary' }, 'Use a passkey');
      passkeyFactor.addEventListener('click', async () => {
        try {
          await verify({ webauthn: await passkeyAssertion() });
        } catch (error) {
          factorStatus.replaceChildren(message('error', errorText(error)));
        }
      });
      heading(
        main,
        'Second factor',
        h('p', {}, 'This account signs in with a second factor.'),
        challenge.methods.includes('totp') ? codeForm : document.createTextNode(''),
        challenge.methods.includes('webauthn') ? passkeyFactor : document.createTextNode(''),
        challenge.methods.includes('recovery_code')
          ? h('details', {}, h('summary', {}, 'Use a recovery code instead'), recoveryForm)
          : document.createTextNode(''),
        factorStatus,
      );
      (challenge.methods.includes('totp') ? code : passkeyFactor).focus();
    }
  });
}

/** Who signed in; whether their session may use admin routes shows at the first one called. */
export const whoAmI = (): Promise<Me> => api<Me>('GET', '/users/me');

/** The API's answer to an admin whose session used no second factor (REQUIRE_ADMIN_MFA). */
export const isMfaRequired = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 403 && error.code === 'mfa_required';

export function refusal(main: HTMLElement, me: Me, signOut: () => void): void {
  const again = h('button', { type: 'button' }, 'Sign in with another account');
  again.addEventListener('click', signOut);
  heading(
    main,
    'Not an administrator',
    message(
      'error',
      `${me.email} is signed in, but this console is for administrators only. Your account keeps working in the InsightSheet app.`,
    ),
    again,
  );
}

/**
 * An admin whose session used no second factor: why they cannot go on, and enrolment of an
 * authenticator app right here (then a new sign-in with it).
 */
export function enrol(main: HTMLElement, me: Me, signOut: () => void): void {
  const status = h('div', { class: 'status' });
  const start = h('button', { type: 'button' }, 'Set up an authenticator app');
  const later = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  later.addEventListener('click', signOut);
  const steps = h('div', {});
  start.addEventListener('click', async () => {
    status.replaceChildren();
    try {
      const setup = await api<{ secret: string; otpauthUrl: string }>(
        'POST',
        '/auth/mfa/totp/setup',
      );
      const code = codeInput();
      const form = h(
        'form',
        { 'aria-label': 'Confirm the authenticator' },
        h('p', {}, 'Add this key to your authenticator app (as a time-based, 6-digit code):'),
        h('p', {}, h('code', { class: 'secret' }, setup.secret)),
        h(
          'details',
          {},
          h('summary', {}, 'Setup link'),
          h('p', {}, h('code', { class: 'secret' }, setup.otpauthUrl)),
        ),
        field('Code from the app', code),
        h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Confirm')),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          const confirmed = await api<{ recoveryCodes: string[] }>(
            'POST',
            '/auth/mfa/totp/confirm',
            {
              code: code.value.trim(),
            },
          );
          const again = h('button', { type: 'button' }, 'Sign in again with the code');
          again.addEventListener('click', signOut);
          fill(
            steps,
            message('ok', 'The authenticator is set up.'),
            h('p', {}, 'Keep these recovery codes somewhere safe; they are shown once:'),
            h(
              'ul',
              { class: 'codes' },
              confirmed.recoveryCodes.map((value) => h('li', {}, h('code', {}, value))),
            ),
            again,
          );
          again.focus();
        } catch (error) {
          status.replaceChildren(message('error', errorText(error)));
        }
      });
      fill(steps, form);
      code.focus();
    } catch (error) {
      status.replaceChildren(message('error', errorText(error)));
    }
  });
  heading(
    main,
    'A second factor is required',
    message(
      'error',
      `${me.email} is an administrator, but this session did not use a second factor. Admin routes answer 403 "mfa_required" until you sign in with an authenticator code or a passkey (REQUIRE_ADMIN_MFA).`,
    ),
    h(
      'p',
      {},
      'If this account has no second factor yet, set up an authenticator app now, then sign in again with a code. A passkey registered in the InsightSheet app works too.',
    ),
    h('div', { class: 'row' }, start, later),
    steps,
    status,
  );
  start.focus();
}
