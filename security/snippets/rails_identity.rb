# Verity identity for a Rails app.
# config/initializers/verity_identity.rb: the module below (secrets come from ENV).
# app/helpers/messenger_helper.rb: the helper; in the layout,
#   <%= javascript_tag "window.messengerIdentity = #{messenger_identity.to_json}" %>
require "base64"
require "json"
require "openssl"

module VerityIdentity
  SESSION_SECONDS = 3600

  module_function

  def user_hash(identifier)
    OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("VERITY_IDENTITY_SECRET"), identifier)
  end

  def messenger_jwt(user_id)
    now = Time.now.to_i
    header = { alg: "HS256", typ: "JWT", kid: ENV.fetch("VERITY_MESSENGER_KID") }
    payload = { user_id: user_id, iat: now, exp: now + SESSION_SECONDS }
    input = [header, payload].map { |part| base64url(JSON.generate(part)) }.join(".")
    "#{input}.#{base64url(OpenSSL::HMAC.digest('SHA256', ENV.fetch('VERITY_MESSENGER_KEY'), input))}"
  end

  def base64url(data)
    Base64.urlsafe_encode64(data, padding: false)
  end
end

module MessengerHelper
  def messenger_identity
    return {} unless current_user

    user_id = current_user.id.to_s
    { user_id: user_id, user_jwt: VerityIdentity.messenger_jwt(user_id) }
  end
end
