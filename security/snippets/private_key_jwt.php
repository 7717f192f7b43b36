<?php
// Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256) for PHP, no
// dependency (ext-openssl; ext-sodium for EdDSA): run on your server.
// Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
// the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
// shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
// Ed25519 signs EdDSA, RSA signs RS256.

const VERITY_SESSION_SECONDS = 3600;
// PKCS#8 of an Ed25519 key: this fixed prefix, then the 32-byte seed (RFC 8410).
const VERITY_ED25519_PKCS8_PREFIX = "\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20";

function verity_base64url(string $data): string
{
    return rtrim(strtr(base64_encode($data), '+/', '-_'), '=');
}

/** [algorithm, signing function], read once, on first use. */
function verity_signer(): array
{
    static $signer = null;
    if ($signer !== null) {
        return $signer;
    }
    $pem = file_get_contents(getenv('VERITY_PRIVATE_KEY_FILE') ?: throw new RuntimeException(
        'VERITY_PRIVATE_KEY_FILE must be set'
    ));
    $key = openssl_pkey_get_private($pem);
    if ($key !== false) {
        $details = openssl_pkey_get_details($key);
        if ($details['type'] === OPENSSL_KEYTYPE_EC && ($details['ec']['curve_name'] ?? null) === 'prime256v1') {
            return $signer = ['ES256', fn (string $input) => verity_jose_ecdsa(verity_openssl_sign($input, $key))];
        }
        if ($details['type'] === OPENSSL_KEYTYPE_RSA) {
            return $signer = ['RS256', fn (string $input) => verity_openssl_sign($input, $key)];
        }
    }
    $der = base64_decode(preg_replace('/-----[A-Z ]+-----|\s+/', '', $pem), true);
    if (is_string($der) && strlen($der) === 48 && str_starts_with($der, VERITY_ED25519_PKCS8_PREFIX)) {
        $secret = sodium_crypto_sign_secretkey(sodium_crypto_sign_seed_keypair(substr($der, 16)));
        return $signer = ['EdDSA', fn (string $input) => sodium_crypto_sign_detached($input, $secret)];
    }
    throw new RuntimeException('The key must be EC P-256, Ed25519 or RSA (PKCS#8 PEM)');
}

function verity_openssl_sign(string $input, $key): string
{
    if (!openssl_sign($input, $signature, $key, OPENSSL_ALGO_SHA256)) {
        throw new RuntimeException('openssl_sign failed: ' . openssl_error_string());
    }
    return $signature;
}

/** OpenSSL signs ECDSA as DER SEQUENCE { INTEGER r, INTEGER s }; JWS wants r || s, 32 bytes each. */
function verity_jose_ecdsa(string $der): string
{
    $offset = ord($der[1]) & 0x80 ? 2 + (ord($der[1]) & 0x7f) : 2;
    $out = '';
    foreach ([0, 1] as $_) {
        $length = ord($der[$offset + 1]);
        $integer = ltrim(substr($der, $offset + 2, $length), "\x00");
        $out .= str_pad($integer, 32, "\x00", STR_PAD_LEFT);
        $offset += 2 + $length;
    }
    return $out;
}

function verity_messenger_jwt(string $userId, ?string $email = null): string
{
    $kid = getenv('VERITY_MESSENGER_KID');
    if (!$kid) {
        throw new RuntimeException('VERITY_MESSENGER_KID must be set');
    }
    [$algorithm, $sign] = verity_signer();
    $now = time();
    $payload = ['user_id' => $userId, 'iat' => $now, 'exp' => $now + VERITY_SESSION_SECONDS];
    if ($email !== null) {
        $payload['email'] = $email;
    }
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;
    $input = verity_base64url(json_encode(['alg' => $algorithm, 'typ' => 'JWT', 'kid' => $kid], $flags))
        . '.' . verity_base64url(json_encode($payload, $flags));
    return $input . '.' . verity_base64url($sign($input));
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    foreach (array_slice($argv, 1) as $userId) {
        echo verity_messenger_jwt($userId), "\n";
    }
}
