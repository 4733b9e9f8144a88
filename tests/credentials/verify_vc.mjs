// An independent verifier of the platform's Open Badges 3.0 credentials, run by the tests as a
// separate process on the credential file alone: it uses `jose` (panva/jose, not joserfc, which
// signs), resolves the issuer's did:web over HTTP to its DID document, checks the signature
// with the key the header names, then fetches the Bitstring Status List credential, checks its
// signature the same way and reads the credential's bit.
//
//   node verify_vc.mjs CREDENTIAL_FILE   (.jwt, or .json: the enveloped credential)
//
// Prints one JSON object: {"valid": bool, "signature": bool, "issuer": ..., "revoked": bool|null,
// "error": "..."}; exits 0 when valid, 1 otherwise. did:web is HTTPS by definition; plain HTTP
// is accepted for 127.0.0.1 and localhost only, which is where the tests serve it.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import * as jose from "jose";

const ALGS = ["EdDSA", "Ed25519"];

function didWebUrl(did) {
  if (!did.startsWith("did:web:")) throw new Error(`not a did:web: ${did}`);
  const parts = did.slice("did:web:".length).split(":").map(decodeURIComponent);
  const host = parts.shift();
  const local = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host);
  const base = `${local ? "http" : "https"}://${host}`;
  return parts.length ? `${base}/${parts.join("/")}/did.json` : `${base}/.well-known/did.json`;
}

async function keyFor(kid) {
  const did = kid.split("#")[0];
  const response = await fetch(didWebUrl(did));
  if (!response.ok) throw new Error(`DID document: HTTP ${response.status}`);
  const doc = await response.json();
  if (doc.id !== did) throw new Error("DID document names another DID");
  const method = (doc.verificationMethod || []).find((m) => m.id === kid);
  if (!method) throw new Error(`key ${kid} is not in the DID document`);
  if (!(doc.assertionMethod || []).includes(kid)) throw new Error(`key ${kid} may not assert credentials`);
  return { did, key: await jose.importJWK(method.publicKeyJwk, "EdDSA") };
}

async function verifyJws(token) {
  const header = jose.decodeProtectedHeader(token);
  if (header.typ !== "vc+jwt") throw new Error(`typ is ${header.typ}`);
  const { did, key } = await keyFor(header.kid);
  const { payload } = await jose.compactVerify(token, key, { algorithms: ALGS });
  const vc = JSON.parse(new TextDecoder().decode(payload));
  const issuer = typeof vc.issuer === "string" ? vc.issuer : vc.issuer?.id;
  if (issuer !== did) throw new Error(`issuer ${issuer} did not sign it (${did} did)`);
  return vc;
}

async function main() {
  const text = readFileSync(process.argv[2], "utf8").trim();
  let token = text;
  if (text.startsWith("{")) {
    const envelope = JSON.parse(text);
    const prefix = "data:application/vc+jwt,";
    if (envelope.type !== "EnvelopedVerifiableCredential" || !envelope.id?.startsWith(prefix)) {
      throw new Error("not an enveloped VC-JOSE credential");
    }
    token = envelope.id.slice(prefix.length);
  }
  const result = { valid: false, signature: false, issuer: null, revoked: null, error: null };
  try {
    const vc = await verifyJws(token);
    result.signature = true;
    result.issuer = vc.issuer.id;
    result.name = vc.name;
    if (!vc.type.includes("OpenBadgeCredential")) throw new Error("not an OpenBadgeCredential");
    const status = vc.credentialStatus;
    const response = await fetch(status.statusListCredential);
    if (!response.ok) throw new Error(`status list: HTTP ${response.status}`);
    const list = await verifyJws(await response.text());
    if (list.credentialSubject.statusPurpose !== status.statusPurpose) throw new Error("status purpose differs");
    const encoded = list.credentialSubject.encodedList;
    const bits = gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
    const index = Number(status.statusListIndex);
    result.revoked = ((bits[index >> 3] >> (7 - (index & 7))) & 1) === 1;
    result.valid = !result.revoked;
  } catch (error) {
    result.error = String(error?.code || "") + " " + String(error?.message || error);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.valid ? 0 : 1);
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ valid: false, error: String(error) }) + "\n");
  process.exit(1);
});
