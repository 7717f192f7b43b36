// Verity messenger JWT signed with YOUR private key (ES256 or RS256) for C#, no dependency
// (System.Security.Cryptography): run on your server.
// Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
// the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
// shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256 (.NET
// Core 2.1+ / .NET Framework 4.7+; Mono has no ECDsa), RSA signs RS256 (.NET and Mono). .NET
// has no Ed25519 of its own, so register an ES256 or RS256 key for C#.
// The key is read with a few lines of DER so that it works where ImportPkcs8PrivateKey is
// missing (.NET Framework, Mono); on .NET 5+ ImportFromPem does the same.
using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

public sealed class VerityPrivateKeyJwt
{
    const long SessionSeconds = 3600;
    static readonly byte[] RsaOid = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
    static readonly byte[] EcOid = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
    static readonly byte[] P256Oid = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

    public readonly string Alg;
    readonly Func<byte[], byte[]> sign;

    /// Reads the key once; the algorithm follows from its type.
    public VerityPrivateKeyJwt(string pemFile)
    {
        var pem = File.ReadAllText(pemFile);
        const string begin = "-----BEGIN PRIVATE KEY-----", end = "-----END PRIVATE KEY-----";
        int from = pem.IndexOf(begin), to = pem.IndexOf(end);
        if (from < 0 || to < from)
            throw new ArgumentException("the key must be a PKCS#8 PEM (BEGIN PRIVATE KEY)");
        var info = new Der(Convert.FromBase64String(pem.Substring(from + begin.Length, to - from - begin.Length))).Sequence();
        info.Integer(); // version
        var algorithm = info.Sequence();
        var oid = algorithm.Read(0x06);
        var privateKeyBytes = info.Read(0x04);
        if (oid.SequenceEqual(RsaOid))
        {
            var privateKey = new Der(privateKeyBytes).Sequence();
            privateKey.Integer(); // version
            var n = privateKey.Integer();
            var e = privateKey.Integer();
            var d = privateKey.Integer();
            int half = (n.Length + 1) / 2;
            var rsa = RSA.Create();
            rsa.ImportParameters(new RSAParameters
            {
                Modulus = n, Exponent = e, D = Pad(d, n.Length),
                P = Pad(privateKey.Integer(), half), Q = Pad(privateKey.Integer(), half),
                DP = Pad(privateKey.Integer(), half), DQ = Pad(privateKey.Integer(), half),
                InverseQ = Pad(privateKey.Integer(), half),
            });
            Alg = "RS256";
            sign = input => rsa.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else if (oid.SequenceEqual(EcOid) && algorithm.Read(0x06).SequenceEqual(P256Oid))
        {
            var privateKey = new Der(privateKeyBytes).Sequence();
            privateKey.Integer(); // version
            var d = privateKey.Read(0x04);
            if (privateKey.Next(0xa0)) privateKey.Read(0xa0);
            if (!privateKey.Next(0xa1))
                throw new ArgumentException("the PKCS#8 key lacks its public point: export it with OpenSSL");
            var point = new Der(privateKey.Read(0xa1)).Read(0x03); // 0x00, 0x04, X, Y
            ECDsa ecdsa;
            try
            {
                ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    D = Pad(d, 32),
                    Q = new ECPoint { X = point.Skip(2).Take(32).ToArray(), Y = point.Skip(34).Take(32).ToArray() },
                });
            }
            catch (NotImplementedException)
            {
                throw new PlatformNotSupportedException("this runtime has no ECDsa (Mono): run on .NET, or register an RS256 key");
            }
            Alg = "ES256";
            // .NET's ECDsa.SignData gives r || s (IEEE P1363), the form JWS wants.
            sign = input => ecdsa.SignData(input, HashAlgorithmName.SHA256);
        }
        else
        {
            throw new ArgumentException("the key must be EC P-256 or RSA (.NET has no Ed25519 of its own)");
        }
    }

    static byte[] Pad(byte[] value, int length)
    {
        var output = new byte[length];
        Array.Copy(value, 0, output, length - value.Length, value.Length);
        return output;
    }

    sealed class Der
    {
        readonly byte[] data;
        int position;

        public Der(byte[] data) { this.data = data; }

        public bool Next(byte tag) { return position < data.Length && data[position] == tag; }

        public byte[] Read(byte tag)
        {
            if (!Next(tag)) throw new ArgumentException("unexpected DER in the private key");
            position++;
            int length = data[position++];
            if (length >= 0x80)
            {
                int count = length & 0x7f;
                length = 0;
                for (int i = 0; i < count; i++) length = (length << 8) | data[position++];
            }
            var value = new byte[length];
            Array.Copy(data, position, value, 0, length);
            position += length;
            return value;
        }

        public Der Sequence() { return new Der(Read(0x30)); }

        // An unsigned big-endian integer, without DER's leading zero.
        public byte[] Integer() { return Read(0x02).SkipWhile((b, i) => b == 0 && i == 0).ToArray(); }
    }

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

    public string MessengerJwt(string userId)
    {
        var kid = Environment.GetEnvironmentVariable("VERITY_MESSENGER_KID");
        if (string.IsNullOrEmpty(kid))
            throw new InvalidOperationException("VERITY_MESSENGER_KID must be set");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = "{\"alg\":" + Json(Alg) + ",\"typ\":\"JWT\",\"kid\":" + Json(kid) + "}";
        var payload = "{\"user_id\":" + Json(userId) + ",\"iat\":" + now + ",\"exp\":" + (now + SessionSeconds) + "}";
        var input = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payload));
        return input + "." + Base64Url(sign(Encoding.UTF8.GetBytes(input)));
    }

    public static void Main(string[] args)
    {
        var file = Environment.GetEnvironmentVariable("VERITY_PRIVATE_KEY_FILE");
        if (string.IsNullOrEmpty(file))
            throw new InvalidOperationException("VERITY_PRIVATE_KEY_FILE must be set");
        var jwt = new VerityPrivateKeyJwt(file);
        foreach (var userId in args) Console.WriteLine(jwt.MessengerJwt(userId));
    }
}
