// The Shared Record page's access part: the code form (step-up), the lock and what a
// revoked or unknown link shows.
import { $, getData } from '/page.mjs';
import { inWords } from '/c-checks.mjs';
import { api, state, status } from '/c-page.mjs';

const ALPHABET = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/;

/** Shows what an access error means; true when it was one (handled). */
export function accessError(e) {
  if (e.code === 'ACCESS_CODE_REQUIRED') {
    showAccess(e.details?.locked === true);
    return true;
  }
  if (e.code === 'ACCESS_LOCKED') {
    showAccess(true, e.retryAfter);
    return true;
  }
  if (e.code === 'LINK_REVOKED' || e.status === 410) {
    hideAll();
    status('revoked', 'This link was revoked', 'The vendor has turned this link off for good; nothing of the record is shown. Ask them for a new link.', 'LINK_REVOKED');
    return true;
  }
  if (e.code === 'LINK_NOT_FOUND') {
    hideAll();
    status('not-found', 'No shared record at this link', 'Check that the whole link was copied; links are case-insensitive but every character counts.', e.code);
    return true;
  }
  return false;
}

export function hideAll() {
  for (const id of ['access', 'account', 'log', 'key-section', 'periods', 'compare', 'evidence']) $(id).hidden = true;
}

let unlockTimer;
export function showAccess(isLocked, retryAfter = null) {
  $('access').hidden = false;
  $('periods').hidden = true;
  $('compare').hidden = true;
  const submit = $('code-submit');
  clearTimeout(unlockTimer);
  if (isLocked) {
    const when = retryAfter !== null ? ` Try again in ${inWords(retryAfter)}${retryAfter >= 60 ? ` (at ${new Date(Date.now() + retryAfter * 1000).toLocaleTimeString()})` : ''}.` : ' Try again later.';
    status('locked', 'This link is locked for now', `Too many wrong access codes were entered.${when}`, 'ACCESS_LOCKED');
    $('code-error').textContent = `Locked after too many wrong codes.${when}`;
    $('code-error').hidden = false;
    if (retryAfter !== null) {
      submit.disabled = true;
      unlockTimer = setTimeout(() => {
        submit.disabled = false;
        $('code-error').hidden = true;
      }, retryAfter * 1000);
    }
  } else if (!state.failures.length) {
    const verifiedLog = state.latest ? ' The latest signed checkpoint (below) is verified.' : '';
    status('code-required', 'Enter the access code to see the records', `The periods, records and downloads of this link need its access code.${verifiedLog}`, 'ACCESS_CODE_REQUIRED');
  }
}

/** The code form's submit; `reload` loads the record once the code is accepted. */
export async function stepUp(event, reload) {
  event.preventDefault();
  const input = $('code');
  const error = $('code-error');
  const code = input.value.replace(/[\s-]/g, '').toUpperCase();
  const invalid = (text) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  if (!ALPHABET.test(code)) {
    invalid('An access code is 6 characters: the digits 2 to 9 and the letters A to Z except I, L and O.');
    return;
  }
  $('code-submit').disabled = true;
  // How many answers the form has handled (tests wait on it: `#access-form[data-answered]`).
  const answered = () => {
    const form = $('access-form');
    form.dataset.answered = String(Number(form.dataset.answered ?? 0) + 1);
  };
  try {
    await getData(`${api}/access/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ factor: 'ACCESS_HINT', value: code }),
    });
  } catch (e) {
    $('code-submit').disabled = false;
    if (e.code === 'ACCESS_LOCKED' || e.status === 429) {
      showAccess(true, e.retryAfter);
      input.setAttribute('aria-invalid', 'true');
      answered();
      return;
    }
    if (accessError(e)) {
      answered();
      return;
    }
    if (e.status === 401 || e.status === 400 || e.status === 403) {
      const left = e.details?.attemptsRemaining;
      invalid(`That is not this link's access code.${Number.isInteger(left) ? ` ${left === 1 ? 'One more wrong code locks' : `${left} more wrong codes lock`} the link for a while.` : ''}`);
    } else {
      invalid(`Could not check the code: ${e.message}`);
    }
    answered();
    return;
  }
  $('code-submit').disabled = false;
  input.value = '';
  input.removeAttribute('aria-invalid');
  error.hidden = true;
  $('access').hidden = true;
  status('loading', 'Code accepted', 'Loading and verifying the records…');
  $('status').focus();
  answered();
  await reload();
}
