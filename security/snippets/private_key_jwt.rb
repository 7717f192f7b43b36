# Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256), standard
# library only (OpenSSL): run on your server.
# Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
# the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
# shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
# Ed25519 signs EdDSA (Ruby's openssl 3), RSA signs RS256.
require "base64"
require "json"
require "openssl"

SESSION_SECONDS = 3600

def base64url(data)
  Base64.urlsafe_encode64(data, padding: false)
end

def verity_private_key
  @verity_private_key ||= begin # read the key once, on first use
    key = OpenSSL::PKey.read(File.read(ENV.fetch("VERITY_PRIVATE_KEY_FILE")))
    case key.oid
    when "id-ecPublicKey"
      raise ArgumentError, "ES256 needs a P-256 key" unless key.group.curve_name == "prime256v1"
      [key, "ES256"]
    when "ED25519" then [key, "EdDSA"]
    when "rsaEncryption" then [key, "RS256"]
    else raise ArgumentError, "the key must be EC P-256, Ed25519 or RSA"
    end
  end
end

# OpenSSL signs ECDSA as DER; JWS wants r || s, each 32 bytes.
def jose_ecdsa(der)
  OpenSSL::ASN1.decode(der).value.map { |n| n.value.to_s(2).rjust(32, "\x00") }.join
end

def verity_messenger_jwt(user_id, email: nil)
  key, alg = verity_private_key
  now = Time.now.to_i
  header = { alg: alg, typ: "JWT", kid: ENV.fetch("VERITY_MESSENGER_KID") }
  payload = { user_id: user_id, iat: now, exp: now + SESSION_SECONDS }
  payload[:email] = email if email
  signing_input = "#{base64url(JSON.generate(header))}.#{base64url(JSON.generate(payload))}"
  signature =
    case alg
    when "ES256" then jose_ecdsa(key.sign("SHA256", signing_input))
    when "EdDSA" then key.sign(nil, signing_input)
    else key.sign("SHA256", signing_input)
    end
  "#{signing_input}.#{base64url(signature)}"
end

if __FILE__ == $PROGRAM_NAME
  ARGV.each { |user_id| puts verity_messenger_jwt(user_id) }
end
