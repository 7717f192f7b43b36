// Verity messenger JWT (HS256) for Go, standard library only: run on your server.
// Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and kid.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"
)

const sessionSeconds = 3600

func segment(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

func MessengerJWT(userID string) string {
	key, kid := os.Getenv("VERITY_MESSENGER_KEY"), os.Getenv("VERITY_MESSENGER_KID")
	if key == "" || kid == "" {
		log.Fatal("VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID must be set")
	}
	now := time.Now().Unix()
	header := map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid}
	payload := map[string]any{"user_id": userID, "iat": now, "exp": now + sessionSeconds}
	input := segment(header) + "." + segment(payload)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func main() {
	for _, userID := range os.Args[1:] {
		fmt.Println(MessengerJWT(userID))
	}
}
