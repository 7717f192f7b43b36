<?php
// Verity messenger JWT (HS256) for PHP, no dependency: run on your server.
// Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.

const VERITY_SESSION_SECONDS = 3600;

function verity_base64url(string $data): string
{
    return rtrim(strtr(base64_encode($data), '+/', '-_'), '=');
}

function verity_messenger_jwt(string $userId, ?string $email = null): string
{
    $key = getenv('VERITY_MESSENGER_KEY');
    $kid = getenv('VERITY_MESSENGER_KID');
    if (!$key || !$kid) {
        throw new RuntimeException('VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID must be set');
    }
    $now = time();
    $payload = ['user_id' => $userId, 'iat' => $now, 'exp' => $now + VERITY_SESSION_SECONDS];
    if ($email !== null) {
        $payload['email'] = $email;
    }
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;
    $input = verity_base64url(json_encode(['alg' => 'HS256', 'typ' => 'JWT', 'kid' => $kid], $flags))
        . '.' . verity_base64url(json_encode($payload, $flags));
    return $input . '.' . verity_base64url(hash_hmac('sha256', $input, $key, true));
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    foreach (array_slice($argv, 1) as $userId) {
        echo verity_messenger_jwt($userId), "\n";
    }
}
