// Checkpoint signing keys in Go `note` text form, from a seed (tests) or at random (dev).
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';

/** `{privateKey, verifierKey}` for key name `name` and a 32-byte seed. */
export function noteKey(name, seed = randomBytes(32)) {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' }).subarray(-32);
  const encoded = Buffer.concat([Buffer.from([1]), pub]);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), encoded])).digest().subarray(0, 4).toString('hex');
  return {
    privateKey: `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([1]), seed]).toString('base64')}`,
    verifierKey: `${name}+${id}+${encoded.toString('base64')}`,
  };
}

/** The fixed key every end-to-end test signs with. */
export const TEST_KEY = noteKey('vericord.test', Buffer.alloc(32, 0x11));

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(noteKey(process.argv[2] ?? 'vericord.local').privateKey);
}
