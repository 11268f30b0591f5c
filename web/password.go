package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Password rules. The upper bound keeps one sign-in from costing more than
// the hash of a long passphrase.
const (
	minPasswordLen = 10
	maxPasswordLen = 1024
)

// argon2Params are OWASP's recommendation for argon2id: 19 MiB of memory,
// two passes, one lane. They are stored in every hash, so raising them
// later leaves old hashes verifiable.
type argon2Params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var defaultArgon2 = argon2Params{memory: 19 * 1024, time: 2, threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// hashPassword returns password hashed with argon2id and a random salt, in
// the PHC string format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func hashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("web: password salt: %w", err)
	}
	p := defaultArgon2
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("web: malformed password hash")

// checkPassword reports whether password matches encoded, comparing in
// constant time.
func checkPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var p argon2Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil || p.threads == 0 || p.time == 0 {
		return false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// validatePassword returns the message for a password that breaks the
// rules, or "".
func validatePassword(password string) string {
	switch {
	case len([]rune(password)) < minPasswordLen:
		return "must be at least 10 characters"
	case len(password) > maxPasswordLen:
		return "must be at most 1024 bytes"
	}
	return ""
}
