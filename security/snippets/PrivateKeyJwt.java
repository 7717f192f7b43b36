// Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256) for Java 17+,
// no dependency (java.security): run on your server.
// Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
// the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
// shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
// Ed25519 signs EdDSA, RSA signs RS256.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

public class PrivateKeyJwt {
    static final long SESSION_SECONDS = 3600;
    // {key type, JWS alg, the JCA signature that gives JWS's own format}. For ES256,
    // "SHA256withECDSAinP1363Format" gives r || s as JWS wants, not ASN.1.
    static final String[][] ALGORITHMS = {
        {"EC", "ES256", "SHA256withECDSAinP1363Format"},
        {"Ed25519", "EdDSA", "Ed25519"},
        {"RSA", "RS256", "SHA256withRSA"},
    };

    final PrivateKey key;
    final String alg;
    final String signature;

    /** Reads the key once; the algorithm follows from its type. */
    PrivateKeyJwt(Path pemFile) throws Exception {
        String pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException("the key must be a PKCS#8 PEM (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(
                pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", ""));
        for (String[] algorithm : ALGORITHMS) {
            PrivateKey candidate;
            try {
                candidate = KeyFactory.getInstance(algorithm[0]).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException notThisType) {
                continue;
            }
            if (candidate instanceof ECPrivateKey ec && ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new IllegalArgumentException("ES256 needs a P-256 key");
            }
            this.key = candidate;
            this.alg = algorithm[1];
            this.signature = algorithm[2];
            return;
        }
        throw new IllegalArgumentException("the key must be EC P-256, Ed25519 or RSA");
    }

    static String json(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    static String base64url(byte[] data) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    public String messengerJwt(String userId) throws GeneralSecurityException {
        String kid = System.getenv("VERITY_MESSENGER_KID");
        if (kid == null || kid.isEmpty()) {
            throw new IllegalStateException("VERITY_MESSENGER_KID must be set");
        }
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":" + json(alg) + ",\"typ\":\"JWT\",\"kid\":" + json(kid) + "}";
        String payload = "{\"user_id\":" + json(userId) + ",\"iat\":" + now
                + ",\"exp\":" + (now + SESSION_SECONDS) + "}";
        String input = base64url(header.getBytes(StandardCharsets.UTF_8)) + "."
                + base64url(payload.getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance(signature);
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.UTF_8));
        return input + "." + base64url(signer.sign());
    }

    public static void main(String[] args) throws Exception {
        String file = System.getenv("VERITY_PRIVATE_KEY_FILE");
        if (file == null || file.isEmpty()) {
            throw new IllegalStateException("VERITY_PRIVATE_KEY_FILE must be set");
        }
        PrivateKeyJwt jwt = new PrivateKeyJwt(Path.of(file));
        for (String userId : args) {
            System.out.println(jwt.messengerJwt(userId));
        }
    }
}
