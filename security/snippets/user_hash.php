<?php
// Verity user_hash for PHP: run on your server, never in the browser.
// Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.

function verity_user_hash(string $identifier): string
{
    $secret = getenv('VERITY_IDENTITY_SECRET');
    if ($secret === false || $secret === '') {
        throw new RuntimeException('VERITY_IDENTITY_SECRET is not set');
    }
    return hash_hmac('sha256', $identifier, $secret);
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    foreach (array_slice($argv, 1) as $identifier) {
        echo verity_user_hash($identifier), "\n";
    }
}
