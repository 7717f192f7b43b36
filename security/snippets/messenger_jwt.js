// Verity messenger JWT (HS256) for Node.js, no dependency: run on your server.
// Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.
const crypto = require("crypto");

const SESSION_SECONDS = 3600;

function base64url(text) {
  return Buffer.from(text, "utf8").toString("base64url");
}

function messengerJwt(userId, email) {
  const key = process.env.VERITY_MESSENGER_KEY;
  const kid = process.env.VERITY_MESSENGER_KID;
  if (!key || !kid) throw new Error("VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID must be set");
  const now = Math.floor(Date.now() / 1000);
  const payload = { user_id: userId, iat: now, exp: now + SESSION_SECONDS };
  if (email) payload.email = email;
  const input =
    base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid })) + "." +
    base64url(JSON.stringify(payload));
  const signature = crypto.createHmac("sha256", key).update(input).digest("base64url");
  return input + "." + signature;
}

module.exports = { messengerJwt };

if (require.main === module) {
  for (const userId of process.argv.slice(2)) console.log(messengerJwt(userId));
}
