// A second oracle for kiln's signatures: Sigstore's own verifier (@sigstore/verify, the
// library behind sigstore-js and npm's provenance checks), keyed mode, offline.
//   node verify-sigstore.cjs message PUB.pem PAYLOAD_FILE SIG_DER_FILE
//     a cosign image signature: ECDSA-SHA256 over the payload bytes (a message signature)
//   node verify-sigstore.cjs dsse PUB.pem ENVELOPE.json
//     an attestation: a DSSE envelope, checked over its pre-authentication encoding
// Exit 0 and "verified" when Sigstore accepts it; 1 with its error otherwise. No transparency
// log or timestamp is asked for (keyed, offline: thresholds 0), as with cosign --key.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [mode, pubFile, ...files] = process.argv.slice(2);
const der = crypto.createPublicKey(fs.readFileSync(pubFile)).export({ type: 'spki', format: 'der' });
const material = {
  publicKey: { hint: 'kiln' },
  tlogEntries: [],
  timestampVerificationData: { rfc3161Timestamps: [] },
};
let json, artifact;
if (mode === 'message') {
  const payload = fs.readFileSync(files[0]);
  json = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: material,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: crypto.createHash('sha256').update(payload).digest('base64') },
      signature: fs.readFileSync(files[1]).toString('base64'),
    },
  };
  artifact = payload;
} else if (mode === 'dsse') {
  const env = JSON.parse(fs.readFileSync(files[0], 'utf8'));
  json = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: material,
    dsseEnvelope: env,
  };
} else {
  console.error('usage: verify-sigstore.cjs message|dsse PUB FILE...');
  process.exit(2);
}
try {
  const root = TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
  });
  const trust = toTrustMaterial(root, { kiln: { rawBytes: der, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundleFromJSON(json), artifact));
  console.log('verified');
} catch (e) {
  console.error(`sigstore: ${e.code || ''} ${e.message}`);
  process.exit(1);
}
