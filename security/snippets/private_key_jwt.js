// Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256) for Node.js,
// no dependency (node:crypto): run on your server.
// Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
// the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
// shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
// Ed25519 signs EdDSA, RSA signs RS256.
const crypto = require("crypto");
const fs = require("fs");

const SESSION_SECONDS = 3600;

let signer = null; // read the key once, on first use

function privateKey() {
  if (signer) return signer;
  const file = process.env.VERITY_PRIVATE_KEY_FILE;
  if (!file) throw new Error("VERITY_PRIVATE_KEY_FILE must be set");
  const key = crypto.createPrivateKey(fs.readFileSync(file));
  const type = key.asymmetricKeyType;
  if (type === "ec" && key.asymmetricKeyDetails.namedCurve === "prime256v1") {
    // JWS wants r || s (64 bytes), not the DER that OpenSSL gives by default.
    signer = { alg: "ES256", hash: "sha256", key: { key, dsaEncoding: "ieee-p1363" } };
  } else if (type === "ed25519") {
    signer = { alg: "EdDSA", hash: null, key };
  } else if (type === "rsa") {
    signer = { alg: "RS256", hash: "sha256", key };
  } else {
    throw new Error("the key must be EC P-256, Ed25519 or RSA");
  }
  return signer;
}

function base64url(text) {
  return Buffer.from(text, "utf8").toString("base64url");
}

function messengerJwt(userId, email) {
  const kid = process.env.VERITY_MESSENGER_KID;
  if (!kid) throw new Error("VERITY_MESSENGER_KID must be set");
  const { alg, hash, key } = privateKey();
  const now = Math.floor(Date.now() / 1000);
  const payload = { user_id: userId, iat: now, exp: now + SESSION_SECONDS };
  if (email) payload.email = email;
  const input =
    base64url(JSON.stringify({ alg, typ: "JWT", kid })) + "." +
    base64url(JSON.stringify(payload));
  const signature = crypto.sign(hash, Buffer.from(input, "utf8"), key);
  return input + "." + signature.toString("base64url");
}

module.exports = { messengerJwt };

if (require.main === module) {
  for (const userId of process.argv.slice(2)) console.log(messengerJwt(userId));
}
