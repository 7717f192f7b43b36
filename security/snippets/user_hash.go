// Verity user_hash for Go: run on your server, never in the browser.
// Set VERITY_IDENTITY_SECRET to the platform's identity verification secret.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
)

func UserHash(identifier string) string {
	secret := os.Getenv("VERITY_IDENTITY_SECRET")
	if secret == "" {
		log.Fatal("VERITY_IDENTITY_SECRET is not set")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(identifier))
	return hex.EncodeToString(mac.Sum(nil))
}

func main() {
	for _, identifier := range os.Args[1:] {
		fmt.Println(UserHash(identifier))
	}
}
