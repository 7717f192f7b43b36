// Verity user_hash for Node.js: run on your server, never in the browser.
// Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.
const crypto = require("crypto");

function userHash(identifier) {
  const secret = process.env.VERITY_IDENTITY_SECRET;
  if (!secret) throw new Error("VERITY_IDENTITY_SECRET is not set");
  return crypto.createHmac("sha256", secret).update(identifier, "utf8").digest("hex");
}

module.exports = { userHash };

if (require.main === module) {
  for (const identifier of process.argv.slice(2)) console.log(userHash(identifier));
}
