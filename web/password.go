package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"vlogd/memstore"
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

// HashPassword returns password hashed with argon2id and a random salt,
// encoded as the store keeps it. It is for tools that make accounts
// outside a running site (`vlogd user add`); check the password with
// ValidatePassword first.
func HashPassword(password string) (string, error) { return hashPassword(password) }

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

// ValidatePassword checks a password against the rules: 10 to 1,024
// bytes of UTF-8 text, at least 10 characters, none of them control
// characters, and not only spaces. It returns a *memstore.ValidationError
// on the "password" field.
func ValidatePassword(password string) error {
	if msg := validatePassword(password); msg != "" {
		return &memstore.ValidationError{Field: "password", Msg: msg}
	}
	return nil
}

// validatePassword returns the message for a password that breaks the
// rules, or "". Control characters (a NUL, a stray escape) are refused: no
// keyboard types them, so a password made of them was not chosen by a
// person and would be unusable from a form.
func validatePassword(password string) string {
	switch {
	case !utf8.ValidString(password):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(password) < minPasswordLen:
		return "must be at least 10 characters"
	case len(password) > maxPasswordLen:
		return "must be at most 1024 bytes"
	case strings.ContainsFunc(password, unicode.IsControl):
		return "must be made of visible characters and spaces only"
	case strings.TrimFunc(password, unicode.IsSpace) == "":
		return "must contain visible characters, not only spaces"
	}
	return ""
}

// errHashBusy is returned by hashGate.run when every slot is taken and the
// queue is full, or the wait for a slot ran out: the caller answers 503
// with Retry-After instead of piling up memory.
var errHashBusy = errors.New("web: password hashing at capacity")

// hashGate bounds password hashing. Each argon2id hash takes 19 MiB and a
// core for tens of milliseconds; without a bound, a few hundred concurrent
// sign-ins take gigabytes. At most running hashes run at once; up to
// queued more wait, each for at most maxWait; the rest are refused at
// once.
type hashGate struct {
	slots   chan struct{} // one token per running hash
	admit   chan struct{} // one token per running or waiting hash
	maxWait time.Duration
}

// Hashing defaults: one hash per core, a queue of four per core (on two
// cores, 8 waiting hashes clear in well under a second), and a wait that
// gives up before a person gives up.
const (
	hashQueuePerCore = 4
	hashMaxWait      = 3 * time.Second
	// hashRetryAfter is the Retry-After, in seconds, of a refused attempt.
	hashRetryAfter = "2"
)

// newHashGate makes a gate; running 0 means one per core, queued 0 means
// hashQueuePerCore per core and a negative queued no queue.
func newHashGate(running, queued int, maxWait time.Duration) *hashGate {
	if running <= 0 {
		running = runtime.GOMAXPROCS(0)
	}
	switch {
	case queued == 0:
		queued = hashQueuePerCore * running
	case queued < 0:
		queued = 0
	}
	return &hashGate{slots: make(chan struct{}, running), admit: make(chan struct{}, running+queued), maxWait: maxWait}
}

// run calls f when a slot is free, or returns errHashBusy.
func (g *hashGate) run(f func()) error {
	select {
	case g.admit <- struct{}{}:
	default:
		return errHashBusy
	}
	defer func() { <-g.admit }()
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.maxWait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return errHashBusy
		}
	}
	defer func() { <-g.slots }()
	f()
	return nil
}

// hash hashes a new password through the gate.
func (s *Site) hash(password string) (hash string, err error) {
	if gerr := s.hashes.run(func() { hash, err = hashPassword(password) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// check verifies a password against an encoded hash through the gate.
func (s *Site) check(encoded, password string) (match bool, err error) {
	if gerr := s.hashes.run(func() { match, err = checkPassword(encoded, password) }); gerr != nil {
		return false, gerr
	}
	return match, err
}
