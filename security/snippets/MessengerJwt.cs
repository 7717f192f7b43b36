// Verity messenger JWT (HS256) for C# (.NET or Mono), no dependency: run on your server.
// Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.
using System;
using System.Security.Cryptography;
using System.Text;

public static class VerityMessengerJwt
{
    const long SessionSeconds = 3600;

    static string Json(string value)
    {
        var output = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c == '"' || c == '\\') output.Append('\\').Append(c);
            else if (c < 0x20) output.AppendFormat("\\u{0:x4}", (int)c);
            else output.Append(c);
        }
        return output.Append('"').ToString();
    }

    static string Base64Url(byte[] data)
    {
        return Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static string MessengerJwt(string userId)
    {
        var key = Environment.GetEnvironmentVariable("VERITY_MESSENGER_KEY");
        var kid = Environment.GetEnvironmentVariable("VERITY_MESSENGER_KID");
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(kid))
            throw new InvalidOperationException("VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID must be set");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" + Json(kid) + "}";
        var payload = "{\"user_id\":" + Json(userId) + ",\"iat\":" + now + ",\"exp\":" + (now + SessionSeconds) + "}";
        var input = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payload));
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(key)))
        {
            return input + "." + Base64Url(hmac.ComputeHash(Encoding.UTF8.GetBytes(input)));
        }
    }

    public static void Main(string[] args)
    {
        foreach (var userId in args) Console.WriteLine(MessengerJwt(userId));
    }
}
