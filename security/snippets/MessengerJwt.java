// Verity messenger JWT (HS256) for Java 17+, no dependency: run on your server.
// Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class MessengerJwt {
    static final long SESSION_SECONDS = 3600;

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

    public static String messengerJwt(String userId) throws Exception {
        String key = System.getenv("VERITY_MESSENGER_KEY");
        String kid = System.getenv("VERITY_MESSENGER_KID");
        if (key == null || key.isEmpty() || kid == null || kid.isEmpty()) {
            throw new IllegalStateException("VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID must be set");
        }
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" + json(kid) + "}";
        String payload = "{\"user_id\":" + json(userId) + ",\"iat\":" + now
                + ",\"exp\":" + (now + SESSION_SECONDS) + "}";
        String input = base64url(header.getBytes(StandardCharsets.UTF_8)) + "."
                + base64url(payload.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return input + "." + base64url(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
    }

    public static void main(String[] args) throws Exception {
        for (String userId : args) {
            System.out.println(messengerJwt(userId));
        }
    }
}
