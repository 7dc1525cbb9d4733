package source_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/source"
)

// archive makes a gzip'd tar of headers, each with its content (a
// regular file's size is set from it).
func archive(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if e.header.Typeflag == tar.TypeReg {
			e.header.Size = int64(len(e.content))
		}
		require.NoError(t, tw.WriteHeader(e.header))
		_, err := tw.Write([]byte(e.content))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

// file is an entry for a regular file.
func file(name, content string) entry {
	return entry{&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644}, content}
}

// gzipped compresses data.
func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	_, err := gz.Write(data)
	require.NoError(t, err)
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func TestReadFile(t *testing.T) {
	manifest := "services:\n  web:\n    port: 3000\n"
	tgz := archive(t, entry{&tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755}, ""},
		file("./Dockerfile", "FROM scratch\n"), file("./convox.yml", manifest), file("./convox.yml", "the second"),
		entry{&tar.Header{Typeflag: tar.TypeSymlink, Name: "link.yml", Linkname: "convox.yml"}, ""},
		entry{&tar.Header{Typeflag: tar.TypeDir, Name: "deploy/", Mode: 0o755}, ""}, file("deploy/app.yml", "a"))

	for _, tc := range []struct {
		name, entry string
		limit       int64
		want        string
		is          error
		err         string
	}{
		{name: "a ./ entry by its name", entry: "convox.yml", limit: 1 << 20, want: manifest},
		{name: "a ./ entry by ./ name", entry: "./convox.yml", limit: 1 << 20, want: manifest},
		{name: "a nested entry, named uncleanly", entry: "deploy//./app.yml", limit: 1, want: "a"},
		{name: "exactly at the limit", entry: "convox.yml", limit: int64(len(manifest)), want: manifest},
		{name: "an empty limit", entry: "deploy/app.yml", limit: 0, is: source.ErrTooLarge, err: "deploy/app.yml too large: 1 bytes, more than 0"},
		{name: "missing", entry: "convox.prod.yml", limit: 1 << 20, is: source.ErrNotFound, err: "convox.prod.yml not found in the source"},
		{name: "too large", entry: "convox.yml", limit: 10, is: source.ErrTooLarge, err: "convox.yml too large: 32 bytes, more than 10"},
		{name: "a symbolic link", entry: "link.yml", limit: 10, is: source.ErrNotFound, err: "link.yml not found in the source: the entry is a symbolic link, not a regular file"},
		{name: "a directory", entry: "deploy", limit: 10, is: source.ErrNotFound, err: "deploy not found in the source: the entry is a directory, not a regular file"},
		{name: "a name outside", entry: "../convox.yml", limit: 10, is: source.ErrBadName, err: `"../convox.yml": not a path inside the source`},
		{name: "no name", entry: "", limit: 10, is: source.ErrBadName},
		{name: "the root", entry: "./", limit: 10, is: source.ErrBadName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := source.ReadFile(bytes.NewReader(tgz), tc.entry, tc.limit)
			if tc.is == nil {
				require.NoError(t, err)
				require.Equal(t, tc.want, string(got))
				return
			}
			require.ErrorIs(t, err, tc.is)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
			}
			require.Nil(t, got)
		})
	}
}

func TestReadFileNotAnArchive(t *testing.T) {
	noise := make([]byte, 2048)
	_, err := rand.Read(noise)
	require.NoError(t, err)
	tgz := archive(t, file("a", strings.Repeat("a", 4096)), file("convox.yml", "services: {}\n"))

	for name, data := range map[string][]byte{
		"empty":           nil,
		"not gzip":        []byte("services: {}\n"),
		"noise":           noise,
		"gzip of no tar":  gzipped(t, bytes.Repeat([]byte("not a tar header "), 64)),
		"a short tar":     gzipped(t, []byte("tiny")),
		"a truncated tgz": tgz[:len(tgz)/2],
		"an uncompressed tar": func() []byte {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: "convox.yml", Typeflag: tar.TypeReg, Mode: 0o644}))
			require.NoError(t, tw.Close())
			return buf.Bytes()
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := source.ReadFile(bytes.NewReader(data), "convox.yml", 1<<20)
			require.ErrorIs(t, err, source.ErrNotArchive)
			require.ErrorContains(t, err, "the source is not a valid gzip'd tar: ")
		})
	}

	_, err = source.ReadFile(bytes.NewReader(gzipped(t, nil)), "convox.yml", 1<<20)
	require.ErrorIs(t, err, source.ErrNotFound, "an empty stream is an empty archive")
}

// countingReader counts what is read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFileStopsAtTheEntry(t *testing.T) {
	big := make([]byte, 4<<20)
	_, err := rand.Read(big)
	require.NoError(t, err)
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n", "big.bin": string(big)})
	tgz, _ := pack(t, dir, source.Options{})

	r := &countingReader{r: bytes.NewReader(tgz)}
	got, err := source.ReadFile(r, "convox.yml", 1<<20)
	require.NoError(t, err)
	require.Equal(t, "services: {}\n", string(got))
	require.Less(t, r.n, 64<<10, "read %d of %d bytes", r.n, len(tgz))

	// What follows the manifest is not read, so it may as well be broken.
	broken := append(append([]byte{}, tgz[:r.n]...), bytes.Repeat([]byte{0xff}, 1024)...)
	got, err = source.ReadFile(io.MultiReader(bytes.NewReader(broken), errReader{}), "convox.yml", 1<<20)
	require.NoError(t, err)
	require.Equal(t, "services: {}\n", string(got))
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("the connection was reset") }

func TestRoundTrip(t *testing.T) {
	files := map[string]string{
		"convox.yml": "services:\n  web:\n    build: api\n", ".dockerignore": "**/*.tmp\n",
		"api/Dockerfile": "FROM golang\n", "api/main.go": "package main\n", "api/x.tmp": "left out",
		"README.md": "# app\n", "empty": "", strings.Repeat("long/", 30) + "name.txt": "a name over 100 characters",
	}
	tgz, stats := pack(t, tree(t, files), source.Options{})
	delete(files, "api/x.tmp")

	got := map[string]string{}
	for _, e := range unpack(t, tgz) {
		if e.header.Typeflag == tar.TypeReg {
			got[e.header.Name] = e.content
		}
	}
	require.Equal(t, files, got)
	require.Equal(t, len(files), stats.Files)
	require.Equal(t, 1, stats.Ignored)

	for name, content := range files {
		data, err := source.ReadFile(bytes.NewReader(tgz), name, 1<<10)
		require.NoError(t, err, name)
		require.Equal(t, content, string(data), name)
	}
}

// FuzzReadFile reads any bytes as an uploaded source: ReadFile returns the
// entry, within the limit, or an error that says which kind of failure it
// is; it never panics.
func FuzzReadFile(f *testing.F) {
	dir := tree(f, map[string]string{
		"convox.yml": "services:\n  web:\n    port: 3000\n", ".dockerignore": "*.log\n", "Dockerfile": "FROM scratch\n",
		"src/main.go": "package main\n", "debug.log": "x",
	})
	var buf bytes.Buffer
	_, err := source.Pack(dir, &buf, source.Options{})
	require.NoError(f, err)
	tgz := buf.Bytes()

	f.Add(tgz, "convox.yml")
	f.Add(tgz, "./src/main.go")
	f.Add(tgz, "src")
	f.Add(tgz, "../convox.yml")
	f.Add(tgz[:len(tgz)/2], "Dockerfile")
	f.Add(tgz[:10], "convox.yml")
	f.Add(archive(f, file("./convox.yml", "services: {}\n"), entry{&tar.Header{Typeflag: tar.TypeSymlink, Name: "a", Linkname: "/etc"}, ""}), "a")
	f.Add(gzipped(f, []byte("not a tar")), "convox.yml")
	f.Add([]byte("services: {}\n"), "convox.yml")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		const limit = 1 << 10
		got, err := source.ReadFile(bytes.NewReader(data), name, limit)
		if err == nil {
			if len(got) > limit {
				t.Fatalf("ReadFile(%q) returned %d bytes, over the limit of %d", name, len(got), limit)
			}
			return
		}
		if got != nil {
			t.Fatalf("ReadFile(%q) returned data with the error %v", name, err)
		}
		for _, kind := range []error{source.ErrNotArchive, source.ErrNotFound, source.ErrTooLarge, source.ErrBadName} {
			if errors.Is(err, kind) {
				return
			}
		}
		t.Fatalf("ReadFile(%q): an error of no known kind: %v", name, err)
	})
}
