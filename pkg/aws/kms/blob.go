package kms

import (
	"encoding/binary"
	"math"

	"github.com/rackhq/rack/pkg/rack"
)

// A sealed blob, format version 1, integers big-endian:
//
//	size  field
//	1     format version, 1
//	2     n, the length of the encrypted data key
//	n     the data key, as KMS encrypted it
//	12    the AES-GCM nonce
//	4     m, the length of the ciphertext
//	m     the AES-256-GCM ciphertext, its 16-byte tag last
//
// Everything before the ciphertext is the header, and the GCM additional
// data: a header byte changed so that the blob still parses fails
// authentication. The ciphertext's length is written, not implied by the
// blob's end, so that a truncated or padded blob is malformed, not merely
// unauthentic.
const (
	formatVersion = 1
	maxKeyLen     = math.MaxUint16
	nonceSize     = 12
	tagSize       = 16
	dataKeySize   = 32
)

// header returns a blob's header for an encrypted data key of at most
// maxKeyLen bytes and a ciphertext of ctLen bytes.
func header(encryptedKey, nonce []byte, ctLen int) []byte {
	h := make([]byte, 0, 1+2+len(encryptedKey)+nonceSize+4)
	h = append(h, formatVersion)
	h = binary.BigEndian.AppendUint16(h, uint16(len(encryptedKey)))
	h = append(h, encryptedKey...)
	h = append(h, nonce...)
	return binary.BigEndian.AppendUint32(h, uint32(ctLen))
}

// blob is a parsed sealed blob; its fields share the parsed bytes.
type blob struct {
	header       []byte
	encryptedKey []byte
	nonce        []byte
	ciphertext   []byte
}

// parse reads a sealed blob strictly: a version other than this one, a
// length that disagrees with the bytes there are, or a field too short to
// be what Seal wrote, fails with EINVALID.
func parse(b []byte) (blob, error) {
	if len(b) == 0 {
		return blob{}, malformed("it is empty")
	}
	if b[0] != formatVersion {
		return blob{}, rack.Errorf(rack.EINVALID, "sealed secret has format version %d; this rack reads version %d", b[0], formatVersion)
	}
	rest := b[1:]
	next := func(n int) ([]byte, bool) {
		if n > len(rest) {
			return nil, false
		}
		field := rest[:n:n]
		rest = rest[n:]
		return field, true
	}

	keyLen, ok := next(2)
	if !ok {
		return blob{}, malformed("it ends in the data key's length")
	}
	n := int(binary.BigEndian.Uint16(keyLen))
	if n == 0 {
		return blob{}, malformed("its encrypted data key is empty")
	}
	var p blob
	if p.encryptedKey, ok = next(n); !ok {
		return blob{}, malformed("it ends in the encrypted data key")
	}
	if p.nonce, ok = next(nonceSize); !ok {
		return blob{}, malformed("it ends in the nonce")
	}
	ctLen, ok := next(4)
	if !ok {
		return blob{}, malformed("it ends in the ciphertext's length")
	}
	p.header = b[: len(b)-len(rest) : len(b)-len(rest)]
	m := binary.BigEndian.Uint32(ctLen)
	if m < tagSize {
		return blob{}, malformed("its ciphertext is shorter than a tag")
	}
	if uint64(m) != uint64(len(rest)) {
		return blob{}, malformed("its ciphertext is %d bytes, not the %d its header says", len(rest), m)
	}
	p.ciphertext = rest
	return p, nil
}

func malformed(format string, args ...any) error {
	return rack.Errorf(rack.EINVALID, "sealed secret is malformed: "+format, args...)
}
