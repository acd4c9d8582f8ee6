// The browser as a witness of one Shared Record link's log (C2SP tlog-witness, in spirit):
// it keeps the last checkpoint it verified for the link, and accepts a newer one only if the
// server proves, with an RFC 9162 consistency proof, that the new tree extends the one it saw.
// A log that shrank, forked at the same size, or cannot prove it extends what was seen is a
// history rewritten; both signed notes (and the proof as served) are then evidence anyone can
// check. Check and store happen under one Web Lock per link, re-reading the state inside it,
// so two tabs are one witness.

export const EVIDENCE_FORMAT = 'vericord.equivocation-evidence/v1';
const storageKey = (handle) => `vericord.witness.v1:${handle}`;

/** The checkpoint this browser last verified for `handle`, or null (none, unreadable, no storage). */
export function seenCheckpoint(handle) {
  try {
    const v = JSON.parse(localStorage.getItem(storageKey(handle)) ?? 'null');
    if (v && Number.isSafeInteger(v.treeSize) && v.treeSize >= 0 && typeof v.proofRoot === 'string' && typeof v.note === 'string') return v;
  } catch { /* no storage, or not ours: nothing seen */ }
  return null;
}

function remember(handle, cp) {
  try {
    localStorage.setItem(storageKey(handle), JSON.stringify({
      treeSize: cp.size, proofRoot: cp.root, note: cp.note, origin: cp.origin, verifiedAt: new Date().toISOString(),
    }));
    return true;
  } catch {
    return false; // storage full or refused: checked, but not remembered
  }
}

/** Runs `fn` holding this link's lock when the browser has Web Locks (else as is). */
function locked(handle, fn) {
  return navigator.locks?.request ? navigator.locks.request(`vericord-witness:${handle}`, fn) : fn();
}

/**
 * Witnesses `served`, a checkpoint whose signature the caller verified:
 * `{size, root, origin, note}` (size, root and origin from the verified note).
 * `fetchConsistency(from, to)` gets the server's proof (`{proof: [...], ...}`);
 * `verifyConsistency(oldSize, oldRoot, newSize, newRoot, proof)` resolves or rejects.
 *
 * Resolves to `{state, seen, served, reason?, evidence?}`, state one of
 * - `first`     nothing seen before; `served` is now remembered;
 * - `same`      the very checkpoint seen before;
 * - `extended`  proven to extend the one seen; `served` is now remembered;
 * - `failed`    history rewritten: `evidence` is the file to keep; nothing stored;
 * - `error`     could not check (the proof did not arrive); nothing stored;
 * - `off`       this browser keeps no storage for the page: nothing to compare with.
 */
export function witness(handle, served, { fetchConsistency, verifyConsistency, verifierKeys }) {
  return locked(handle, async () => {
    try {
      localStorage.getItem(storageKey(handle));
    } catch {
      return { state: 'off', seen: null, served };
    }
    const seen = seenCheckpoint(handle); // re-read inside the lock: another tab may have moved it on
    const fail = (reason, consistencyProof = null) => ({
      state: 'failed', seen, served, reason,
      evidence: {
        format: EVIDENCE_FORMAT,
        handle,
        seen: { treeSize: seen.treeSize, proofRoot: seen.proofRoot, note: seen.note },
        served: { treeSize: served.size, proofRoot: served.root, note: served.note },
        consistencyProof,
        verifierKeys,
        reason,
        detectedAt: new Date().toISOString(),
      },
    });
    if (!seen) return { state: remember(handle, served) ? 'first' : 'off', seen: null, served };
    if (seen.origin && seen.origin !== served.origin) {
      return fail(`the link now shows another log (${served.origin}) than the one this browser saw (${seen.origin})`);
    }
    if (seen.treeSize > served.size) {
      return fail(`the log shrank: this browser saw ${seen.treeSize} entries, the server now shows ${served.size}`);
    }
    if (seen.treeSize === served.size) {
      if (seen.proofRoot.toLowerCase() === served.root.toLowerCase()) return { state: 'same', seen, served };
      return fail(`two different logs of ${served.size} entries: this browser saw root ${seen.proofRoot}, the server now shows ${served.root}`);
    }
    let answer;
    try {
      answer = await fetchConsistency(seen.treeSize, served.size);
    } catch (e) {
      return { state: 'error', seen, served, reason: `the consistency proof from ${seen.treeSize} to ${served.size} entries did not arrive: ${e.message}` };
    }
    const proof = Array.isArray(answer?.proof) ? answer.proof : null;
    const sizes = (answer?.fromSize === undefined || Number(answer.fromSize) === seen.treeSize)
      && (answer?.toSize === undefined || Number(answer.toSize) === served.size);
    if (!proof || !sizes) {
      return fail(`the server's consistency proof is not one from ${seen.treeSize} to ${served.size} entries`, answer ?? null);
    }
    try {
      await verifyConsistency(seen.treeSize, seen.proofRoot, served.size, served.root, proof);
    } catch (e) {
      return fail(`the log of ${served.size} entries does not extend the ${seen.treeSize} entries this browser saw: the consistency proof fails (${e.code ?? 'ERROR'}: ${e.message})`, answer);
    }
    return { state: remember(handle, served) ? 'extended' : 'off', seen, served };
  });
}
