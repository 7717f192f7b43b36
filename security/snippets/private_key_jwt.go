// Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256) for Go,
// standard library only: run on your server.
// Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
// the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the kid
// shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
// Ed25519 signs EdDSA, RSA signs RS256.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log"
	"os"
	"time"
)

const sessionSeconds = 3600

// LoadSigner reads the private key once, at start; the algorithm follows from its type.
func LoadSigner() (alg string, sign func(input []byte) ([]byte, error)) {
	data, err := os.ReadFile(os.Getenv("VERITY_PRIVATE_KEY_FILE"))
	if err != nil {
		log.Fatal("VERITY_PRIVATE_KEY_FILE: ", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		log.Fatal("VERITY_PRIVATE_KEY_FILE must hold a PKCS#8 PEM (BEGIN PRIVATE KEY)")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		log.Fatal(err)
	}
	switch key := parsed.(type) {
	case *ecdsa.PrivateKey:
		if key.Curve != elliptic.P256() {
			log.Fatal("ES256 needs a P-256 key")
		}
		return "ES256", func(input []byte) ([]byte, error) {
			digest := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
			if err != nil {
				return nil, err
			}
			// JWS wants r || s, each left-padded to 32 bytes (not ASN.1).
			signature := make([]byte, 64)
			r.FillBytes(signature[:32])
			s.FillBytes(signature[32:])
			return signature, nil
		}
	case ed25519.PrivateKey:
		return "EdDSA", func(input []byte) ([]byte, error) {
			return ed25519.Sign(key, input), nil
		}
	case *rsa.PrivateKey:
		return "RS256", func(input []byte) ([]byte, error) {
			digest := sha256.Sum256(input)
			return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		}
	}
	log.Fatal("the key must be EC P-256, Ed25519 or RSA")
	return "", nil
}

func segment(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

func MessengerJWT(alg string, sign func([]byte) ([]byte, error), userID string) (string, error) {
	kid := os.Getenv("VERITY_MESSENGER_KID")
	if kid == "" {
		log.Fatal("VERITY_MESSENGER_KID must be set")
	}
	now := time.Now().Unix()
	header := map[string]string{"alg": alg, "typ": "JWT", "kid": kid}
	payload := map[string]any{"user_id": userID, "iat": now, "exp": now + sessionSeconds}
	input := segment(header) + "." + segment(payload)
	signature, err := sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(signature), nil
}

func main() {
	alg, sign := LoadSigner()
	for _, userID := range os.Args[1:] {
		token, err := MessengerJWT(alg, sign, userID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(token)
	}
}
