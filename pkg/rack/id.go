package rack

import (
	"crypto/rand"
	"fmt"
	"io"
)

// Prefixes of generated identifiers, as Convox spells them.
const (
	BuildIDPrefix   = "B"
	ReleaseIDPrefix = "R"
)

// idLength is the number of random letters after the prefix.
const idLength = 10

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// IDGenerator makes identifiers; inject one to make them predictable in tests.
type IDGenerator func(prefix string) (string, error)

// NewID returns prefix followed by ten random upper-case letters read from
// crypto/rand, such as "BQWERTYUIOP".
func NewID(prefix string) (string, error) {
	return NewIDFrom(rand.Reader, prefix)
}

// NewIDFrom is NewID reading randomness from r.
func NewIDFrom(r io.Reader, prefix string) (string, error) {
	// Rejection sampling keeps every letter equally likely: 234 is the
	// largest multiple of 26 that fits in a byte.
	const limit = 256 - 256%len(idAlphabet)
	out := make([]byte, 0, len(prefix)+idLength)
	out = append(out, prefix...)
	buf := make([]byte, idLength*2)
	for len(out) < len(prefix)+idLength {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("generate id: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			if len(out) == len(prefix)+idLength {
				break
			}
		}
	}
	return string(out), nil
}

// ValidID reports whether id is prefix followed by ten upper-case letters.
func ValidID(prefix, id string) bool {
	if len(id) != len(prefix)+idLength || id[:len(prefix)] != prefix {
		return false
	}
	for _, c := range id[len(prefix):] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// ValidateChild checks what a build or release is kept under: a valid app
// name and an id of the kind's prefix.
func ValidateChild(kind, prefix, app, id string) error {
	if err := ValidateAppName(app); err != nil {
		return err
	}
	if !ValidID(prefix, id) {
		return Errorf(EINVALID, "%s id %q is not %s followed by ten capital letters", kind, id, prefix)
	}
	return nil
}
