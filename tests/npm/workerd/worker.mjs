// A Worker that imports the installed package by its bare name (bundled for workerd with the
// "workerd" condition) and runs the shared known-answer checks on the vector file it is sent.
import * as api from 'vericord';
import { suites } from '../lib/checks.mjs';
import { SimpleMerkleTree } from '../browser/oz.mjs';

const merkleVerify = (root, leaf, proof) => SimpleMerkleTree.verify(root, leaf, proof);

export default {
  async fetch(request) {
    const { file, vectors } = await request.json();
    const { passed, failures } = suites[file][0](api, vectors, { merkleVerify });
    return Response.json({ passed, failures: failures.slice(0, 20) });
  },
};
