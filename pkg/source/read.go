package source

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// The errors ReadFile's errors wrap, for errors.Is.
var (
	// ErrNotArchive: the stream is not a gzip'd tar, or is a damaged one.
	ErrNotArchive = errors.New("not a valid gzip'd tar")
	// ErrNotFound: the archive has no regular file of that name.
	ErrNotFound = errors.New("not found in the source")
	// ErrTooLarge: the file is larger than the limit.
	ErrTooLarge = errors.New("too large")
	// ErrBadName: the name asked for is not a relative path inside an archive.
	ErrBadName = errors.New("not a path inside the source")
)

// ReadFile reads the gzip'd tar r and returns the content of its entry
// name, a relative path with slashes ("./name" and "name" are the same
// entry, in the archive as in the argument). It stops reading at that
// entry, so it reads little of what Pack writes when name is the manifest.
// If the archive holds the name more than once, the first is returned.
//
// r may be anything a user uploads. ReadFile holds at most limit bytes of
// the entry in memory (beyond that it fails with ErrTooLarge, without
// reading the entry) besides the tar reader's own bounded headers; the
// time it takes is bounded by the stream's length, which the caller bounds.
// Its errors wrap ErrNotArchive, ErrNotFound, ErrTooLarge or ErrBadName and
// read, for example, "convox.yml not found in the source".
func ReadFile(r io.Reader, name string, limit int64) ([]byte, error) {
	want, ok := entryName(name)
	if !ok {
		return nil, fmt.Errorf("%q: %w", name, ErrBadName)
	}
	if limit < 0 {
		return nil, fmt.Errorf("read %s: a negative limit, %d", want, limit)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, notArchive(err)
	}
	defer gz.Close()
	h, tr, err := find(tar.NewReader(gz), want)
	if err != nil {
		return nil, err
	}
	return readEntry(h, tr, limit)
}

// entryName returns name as a clean relative path, without a leading "./"
// or "/", and false if it is not one inside an archive.
func entryName(name string) (string, bool) {
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsRune(clean, 0) {
		return "", false
	}
	return clean, true
}

// find advances tr to the first entry named want and returns its header.
func find(tr *tar.Reader, want string) (*tar.Header, *tar.Reader, error) {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("%s %w", want, ErrNotFound)
		}
		if err != nil {
			return nil, nil, notArchive(err)
		}
		if got, ok := entryName(h.Name); ok && got == want {
			return h, tr, nil
		}
	}
}

// readEntry reads the entry h, which must be a regular file of at most
// limit bytes.
func readEntry(h *tar.Header, tr io.Reader, limit int64) ([]byte, error) {
	name, _ := entryName(h.Name)
	if h.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%s %w: the entry is %s, not a regular file", name, ErrNotFound, kind(h.Typeflag))
	}
	if h.Size > limit {
		return nil, fmt.Errorf("%s %w: %d bytes, more than %d", name, ErrTooLarge, h.Size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(tr, limit))
	if err != nil {
		return nil, notArchive(err)
	}
	return data, nil
}

// kind names a tar entry's type in an error.
func kind(t byte) string {
	switch t {
	case tar.TypeDir:
		return "a directory"
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	default:
		return fmt.Sprintf("of type %q", t)
	}
}

// notArchive wraps an error of the gzip or tar reader.
func notArchive(err error) error {
	return fmt.Errorf("the source is %w: %w", ErrNotArchive, err)
}
