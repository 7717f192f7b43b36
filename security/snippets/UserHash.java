// Verity user_hash for Java 17+: run on your server, never in the browser.
// Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class UserHash {
    public static String userHash(String identifier) throws Exception {
        String secret = System.getenv("VERITY_IDENTITY_SECRET");
        if (secret == null || secret.isEmpty()) {
            throw new IllegalStateException("VERITY_IDENTITY_SECRET is not set");
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8)));
    }

    public static void main(String[] args) throws Exception {
        for (String identifier : args) {
            System.out.println(userHash(identifier));
        }
    }
}
