# Verity user_hash: run on your server, never in the browser.
# Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.
require "openssl"

def verity_user_hash(identifier)
  OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("VERITY_IDENTITY_SECRET"), identifier)
end

if __FILE__ == $PROGRAM_NAME
  ARGV.each { |identifier| puts verity_user_hash(identifier) }
end
