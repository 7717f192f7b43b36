# Verity messenger JWT (HS256), standard library only: run on your server.
# Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.
require "base64"
require "json"
require "openssl"

SESSION_SECONDS = 3600

def base64url(data)
  Base64.urlsafe_encode64(data, padding: false)
end

def verity_messenger_jwt(user_id, email: nil)
  now = Time.now.to_i
  header = { alg: "HS256", typ: "JWT", kid: ENV.fetch("VERITY_MESSENGER_KID") }
  payload = { user_id: user_id, iat: now, exp: now + SESSION_SECONDS }
  payload[:email] = email if email
  signing_input = "#{base64url(JSON.generate(header))}.#{base64url(JSON.generate(payload))}"
  signature = OpenSSL::HMAC.digest("SHA256", ENV.fetch("VERITY_MESSENGER_KEY"), signing_input)
  "#{signing_input}.#{base64url(signature)}"
end

if __FILE__ == $PROGRAM_NAME
  ARGV.each { |user_id| puts verity_messenger_jwt(user_id) }
end
