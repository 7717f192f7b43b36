// Verity user_hash for C# (.NET or Mono): run on your server, never in the browser.
// Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.
using System;
using System.Security.Cryptography;
using System.Text;

public static class VerityUserHash
{
    public static string UserHash(string identifier)
    {
        var secret = Environment.GetEnvironmentVariable("VERITY_IDENTITY_SECRET");
        if (string.IsNullOrEmpty(secret))
            throw new InvalidOperationException("VERITY_IDENTITY_SECRET is not set");
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
        {
            var digest = hmac.ComputeHash(Encoding.UTF8.GetBytes(identifier));
            var hex = new StringBuilder(64);
            foreach (var b in digest) hex.Append(b.ToString("x2"));
            return hex.ToString();
        }
    }

    public static void Main(string[] args)
    {
        foreach (var identifier in args) Console.WriteLine(UserHash(identifier));
    }
}
