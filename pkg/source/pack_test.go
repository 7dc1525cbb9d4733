package source_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/source"
)

// tree makes a directory holding files: a name ending in "/" is a
// directory, anything else a file with that content.
func tree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			require.NoError(t, os.MkdirAll(full, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	return dir
}

// pack packs dir with opts and fails the test on an error.
func pack(t *testing.T, dir string, opts source.Options) ([]byte, source.Stats) {
	t.Helper()
	var buf bytes.Buffer
	stats, err := source.Pack(dir, &buf, opts)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), stats.Compressed)
	return buf.Bytes(), stats
}

// entry is one entry of an archive: its header and, for a file, content.
type entry struct {
	header  *tar.Header
	content string
}

// unpack reads every entry of a gzip'd tar, in order.
func unpack(t *testing.T, data []byte) []entry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	var entries []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		require.NoError(t, err)
		content, err := io.ReadAll(tr)
		require.NoError(t, err)
		entries = append(entries, entry{h, string(content)})
	}
}

// names lists an archive's entry names, in order.
func names(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	for _, e := range unpack(t, data) {
		names = append(names, e.header.Name)
	}
	return names
}

func TestDockerignore(t *testing.T) {
	for _, tc := range []struct {
		name, ignore string
		files        []string
		want         []string // after convox.yml
		ignored      int
	}{{
		name:    "a pattern matches from the root only",
		ignore:  "*.log\ntmp\n",
		files:   []string{"a.log", "b.txt", "tmp/x", "sub/c.log"},
		want:    []string{".dockerignore", "b.txt", "sub/", "sub/c.log"},
		ignored: 2,
	}, {
		name:    "an exception brings a file back",
		ignore:  "*.md\n!README.md\n",
		files:   []string{"README.md", "CHANGES.md", "main.go"},
		want:    []string{".dockerignore", "README.md", "main.go"},
		ignored: 1,
	}, {
		name:    "a later pattern overrides an earlier exception",
		ignore:  "*.md\n!*.md\nCHANGES.md\n",
		files:   []string{"README.md", "CHANGES.md"},
		want:    []string{".dockerignore", "README.md"},
		ignored: 1,
	}, {
		name:    "a directory goes with everything in it",
		ignore:  "node_modules\nbuild/\n",
		files:   []string{"node_modules/a/b.js", "build/out", "src/build/keep", "app.js"},
		want:    []string{".dockerignore", "app.js", "src/", "src/build/", "src/build/keep"},
		ignored: 2,
	}, {
		name:    "an exception inside a left-out directory",
		ignore:  "vendor\n!vendor/keep.txt\n",
		files:   []string{"vendor/keep.txt", "vendor/other.txt", "vendor/deep/x"},
		want:    []string{".dockerignore", "vendor/keep.txt"}, // as Docker: the directory itself is not archived
		ignored: 2,
	}, {
		name:    "a wildcard exception does not open a left-out directory, as with Docker",
		ignore:  "docs\n!**/*.go\n",
		files:   []string{"docs/a.go", "main.go"},
		want:    []string{".dockerignore", "main.go"},
		ignored: 1,
	}, {
		name:    "** matches any depth",
		ignore:  "**/*.log\n",
		files:   []string{"a.log", "x/b.log", "x/y/c.log", "x/y/d.txt"},
		want:    []string{".dockerignore", "x/", "x/y/", "x/y/d.txt"},
		ignored: 3,
	}, {
		name:    "**/ matches a directory at any depth",
		ignore:  "**/__pycache__\n",
		files:   []string{"__pycache__/a.pyc", "pkg/__pycache__/b.pyc", "pkg/m.py"},
		want:    []string{".dockerignore", "pkg/", "pkg/m.py"},
		ignored: 2,
	}, {
		name:    "comments and blank lines are no patterns",
		ignore:  "# *.txt\n\n   \n#secret\n*.tmp\n",
		files:   []string{"a.txt", "#secret", "b.tmp"},
		want:    []string{"#secret", ".dockerignore", "a.txt"},
		ignored: 1,
	}, {
		name:    "a leading slash is the root",
		ignore:  "/secret.txt\n",
		files:   []string{"secret.txt", "sub/secret.txt"},
		want:    []string{".dockerignore", "sub/", "sub/secret.txt"},
		ignored: 1,
	}, {
		name:    "? and character classes",
		ignore:  "file?.txt\nlog[0-9]\n",
		files:   []string{"file1.txt", "file10.txt", "log7", "logx"},
		want:    []string{".dockerignore", "file10.txt", "logx"},
		ignored: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"convox.yml": "services: {}\n", ".dockerignore": tc.ignore}
			for _, f := range tc.files {
				files[f] = f
			}
			data, stats := pack(t, tree(t, files), source.Options{})
			require.Equal(t, append([]string{"convox.yml"}, tc.want...), names(t, data))
			require.Equal(t, tc.ignored, stats.Ignored)
		})
	}
}

func TestDockerfileDockerignoreAndManifestAlwaysKept(t *testing.T) {
	dir := tree(t, map[string]string{
		"convox.yml": "services: {}\n", ".dockerignore": "*\n", "Dockerfile": "FROM scratch\n",
		"api/Dockerfile": "FROM scratch\n", "api/main.go": "package main\n", "other": "x",
	})
	data, stats := pack(t, dir, source.Options{Keep: []string{"api/Dockerfile"}})
	require.Equal(t, []string{"convox.yml", ".dockerignore", "Dockerfile", "api/Dockerfile"}, names(t, data))
	require.Equal(t, 2, stats.Ignored) // api/main.go and other
}

func TestGitLeftOut(t *testing.T) {
	dir := tree(t, map[string]string{
		"convox.yml": "services: {}\n", ".dockerignore": "!.git\n",
		".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cdef": "x",
		"lib/.git":   "gitdir: ../.git/modules/lib\n", // a submodule's
		".gitignore": "bin\n", "lib/a.go": "package lib\n",
	})
	data, stats := pack(t, dir, source.Options{})
	require.Equal(t, []string{"convox.yml", ".dockerignore", ".gitignore", "lib/", "lib/a.go"}, names(t, data))
	require.Equal(t, 0, stats.Ignored)
}

func TestManifestFirst(t *testing.T) {
	files := map[string]string{
		".dockerignore": "", "Dockerfile": "FROM scratch\n", "a/b": "b",
		"convox.yml": "services: {}\n", "deploy/convox.prod.yml": "services: {web: {}}\n",
	}
	t.Run("the default", func(t *testing.T) {
		data, _ := pack(t, tree(t, files), source.Options{})
		require.Equal(t, []string{"convox.yml", ".dockerignore", "Dockerfile", "a/", "a/b", "deploy/", "deploy/convox.prod.yml"}, names(t, data))
	})
	t.Run("another, in a directory", func(t *testing.T) {
		data, _ := pack(t, tree(t, files), source.Options{Manifest: "./deploy/convox.prod.yml"})
		require.Equal(t, []string{"deploy/convox.prod.yml", ".dockerignore", "Dockerfile", "a/", "a/b", "convox.yml", "deploy/"}, names(t, data))
	})
	t.Run("even if .dockerignore leaves it out", func(t *testing.T) {
		dir := tree(t, map[string]string{"deploy/convox.yml": "services: {}\n", ".dockerignore": "deploy\n", "x": "x"})
		data, stats := pack(t, dir, source.Options{Manifest: "deploy/convox.yml"})
		require.Equal(t, []string{"deploy/convox.yml", ".dockerignore", "x"}, names(t, data))
		require.Equal(t, 0, stats.Ignored) // deploy is walked for its kept manifest, and holds nothing else
	})
	t.Run("a link to it is archived as the file", func(t *testing.T) {
		dir := tree(t, map[string]string{"convox.prod.yml": "services: {}\n"})
		require.NoError(t, os.Symlink("convox.prod.yml", filepath.Join(dir, "convox.yml")))
		data, _ := pack(t, dir, source.Options{})
		entries := unpack(t, data)
		require.Equal(t, "convox.yml", entries[0].header.Name)
		require.Equal(t, byte(tar.TypeReg), entries[0].header.Typeflag)
		require.Equal(t, "services: {}\n", entries[0].content)
	})
}

func TestManifestErrors(t *testing.T) {
	dir := tree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	_, err := source.Pack(dir, io.Discard, source.Options{})
	require.EqualError(t, err, "convox.yml not found in "+dir)

	_, err = source.Pack(dir, io.Discard, source.Options{Manifest: "../convox.yml"})
	require.ErrorContains(t, err, `manifest: "../convox.yml" is not a path inside the source`)

	outside := tree(t, map[string]string{"convox.yml": "services: {}\n"})
	require.NoError(t, os.Symlink(filepath.Join(outside, "convox.yml"), filepath.Join(dir, "convox.yml")))
	_, err = source.Pack(dir, io.Discard, source.Options{})
	require.ErrorContains(t, err, "outside the source")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	_, err = source.Pack(dir, io.Discard, source.Options{Manifest: "sub"})
	require.ErrorContains(t, err, "manifest sub: not a regular file")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub/convox.yml"), []byte("services: {}\n"), 0o644))
	require.NoError(t, os.Symlink("sub", filepath.Join(dir, "deploy")))
	_, err = source.Pack(dir, io.Discard, source.Options{Manifest: "deploy/convox.yml"})
	require.EqualError(t, err, "manifest deploy/convox.yml: in a directory reached through a symbolic link")
}

func TestSymlinksKeptNotFollowed(t *testing.T) {
	outside := tree(t, map[string]string{"secret": "not for the archive"})
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n", "src/a.go": "package src\n"})
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "data")))
	require.NoError(t, os.Symlink("src", filepath.Join(dir, "lib")))
	require.NoError(t, os.Symlink("nowhere", filepath.Join(dir, "dangling")))

	data, stats := pack(t, dir, source.Options{})
	require.Equal(t, []string{"convox.yml", "dangling", "data", "lib", "src/", "src/a.go"}, names(t, data))
	links := map[string]string{}
	for _, e := range unpack(t, data) {
		if e.header.Typeflag == tar.TypeSymlink {
			links[e.header.Name] = e.header.Linkname
		}
		require.NotContains(t, e.content, "not for the archive")
	}
	require.Equal(t, map[string]string{"data": outside, "lib": "src", "dangling": "nowhere"}, links)
	require.Equal(t, source.Stats{Files: 2, Dirs: 1, Symlinks: 3, Bytes: 25, Compressed: stats.Compressed}, stats)
}

func TestSourceThroughALink(t *testing.T) {
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n"})
	link := filepath.Join(t.TempDir(), "app")
	require.NoError(t, os.Symlink(dir, link))
	data, _ := pack(t, link, source.Options{})
	require.Equal(t, []string{"convox.yml"}, names(t, data))
}

func TestModesKept(t *testing.T) {
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n", "bin/run": "#!/bin/sh\n", "key": "k", "private/": ""})
	require.NoError(t, os.Chmod(filepath.Join(dir, "bin/run"), 0o755))
	require.NoError(t, os.Chmod(filepath.Join(dir, "key"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(dir, "private"), 0o700))

	data, _ := pack(t, dir, source.Options{})
	modes := map[string]int64{}
	for _, e := range unpack(t, data) {
		modes[e.header.Name] = e.header.Mode
	}
	require.Equal(t, map[string]int64{"convox.yml": 0o644, "bin/": 0o755, "bin/run": 0o755, "key": 0o600, "private/": 0o700}, modes)
}

func TestDeterministic(t *testing.T) {
	files := map[string]string{"convox.yml": "services: {}\n", ".dockerignore": "*.log\n", "a/b/c": "c", "a/d": "d", "e.log": "e", "z": "z"}
	dir := tree(t, files)
	first, _ := pack(t, dir, source.Options{})
	again, _ := pack(t, dir, source.Options{})
	require.Equal(t, first, again)

	later := time.Now().Add(time.Hour)
	for name := range files {
		require.NoError(t, os.Chtimes(filepath.Join(dir, name), later, later))
	}
	touched, _ := pack(t, dir, source.Options{})
	require.Equal(t, first, touched, "modification times are not archived")

	elsewhere, _ := pack(t, tree(t, files), source.Options{})
	require.Equal(t, first, elsewhere, "the same tree in another directory")

	for _, e := range unpack(t, first) {
		require.True(t, e.header.ModTime.Equal(source.ModTime), e.header.Name)
		require.Zero(t, e.header.Uid)
		require.Zero(t, e.header.Gid)
		require.Empty(t, e.header.Uname)
	}
}

func TestNotADirectory(t *testing.T) {
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n"})
	file := filepath.Join(dir, "convox.yml")
	_, err := source.Pack(file, io.Discard, source.Options{})
	require.EqualError(t, err, "source "+file+": not a directory")

	_, err = source.Pack(filepath.Join(dir, "missing"), io.Discard, source.Options{})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "source "+filepath.Join(dir, "missing")+": ")
}

// TestUnreadable: a file or directory Pack cannot read fails the pack,
// naming it. Root reads any file whatever its mode, so a file is made
// unreadable by failing its open; a directory only by its mode, which
// holds for other users only.
func TestUnreadable(t *testing.T) {
	dir := tree(t, map[string]string{"convox.yml": "services: {}\n", "sub/secret": "s", "locked/x": "x"})
	source.FailOpen(t.Cleanup, filepath.Join(dir, "sub/secret"), os.ErrPermission)
	_, err := source.Pack(dir, io.Discard, source.Options{})
	require.ErrorIs(t, err, os.ErrPermission)
	require.ErrorContains(t, err, "read sub/secret: ")

	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(filepath.Join(dir, "sub/secret"), 0))
		t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "sub/secret"), 0o644) })
		source.FailOpen(t.Cleanup, "", nil) // the real open again
		_, err = source.Pack(dir, io.Discard, source.Options{})
		require.ErrorIs(t, err, os.ErrPermission)
		require.ErrorContains(t, err, "read sub/secret: ")
		require.NoError(t, os.Chmod(filepath.Join(dir, "sub/secret"), 0o644))
		require.NoError(t, os.Chmod(filepath.Join(dir, "locked"), 0))
		t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "locked"), 0o755) })
		_, err = source.Pack(dir, io.Discard, source.Options{})
		require.ErrorIs(t, err, os.ErrPermission)
		require.ErrorContains(t, err, "read locked: ")
	}
}

func TestMeasure(t *testing.T) {
	big := make([]byte, 100<<10)
	_, err := rand.Read(big)
	require.NoError(t, err)
	dir := tree(t, map[string]string{
		"convox.yml": "services: {}\n", ".dockerignore": "node_modules\n",
		"node_modules/big.bin": string(big), "node_modules/small.js": "x", "app.js": "y",
	})
	with, without, err := source.Measure(dir, source.Options{})
	require.NoError(t, err)
	require.Equal(t, 1, with.Ignored)
	require.Equal(t, 3, with.Files)
	require.Equal(t, 0, without.Ignored)
	require.Equal(t, 5, without.Files)
	require.Equal(t, int64(len(big)+1), without.Bytes-with.Bytes)
	require.Greater(t, without.Compressed-with.Compressed, int64(len(big)*9/10))
}

// BenchmarkPack packs the directory named by SOURCE_DIR (a generated tree
// if unset) and reports the archive's size with and without its
// .dockerignore: SOURCE_DIR=~/app go test -run '^$' -bench Pack ./pkg/source
func BenchmarkPack(b *testing.B) {
	dir := os.Getenv("SOURCE_DIR")
	if dir == "" {
		dir = b.TempDir()
		for i := range 200 {
			name := filepath.Join(dir, "src", strings.Repeat("d", i%5+1), "file"+strings.Repeat("x", i%7)+".go")
			require.NoError(b, os.MkdirAll(filepath.Dir(name), 0o755))
			require.NoError(b, os.WriteFile(name, bytes.Repeat([]byte("package src\n"), i*10), 0o644))
		}
		require.NoError(b, os.WriteFile(filepath.Join(dir, "convox.yml"), []byte("services: {}\n"), 0o644))
		require.NoError(b, os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("src/ddd*\n"), 0o644))
	}
	with, without, err := source.Measure(dir, source.Options{})
	require.NoError(b, err)
	b.SetBytes(with.Bytes)
	b.ResetTimer()
	for b.Loop() {
		_, err := source.Pack(dir, io.Discard, source.Options{})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(with.Compressed), "gz-bytes")
	b.ReportMetric(float64(without.Compressed), "gz-bytes-without-dockerignore")
	b.ReportMetric(float64(with.Bytes), "raw-bytes")
	b.ReportMetric(float64(without.Bytes), "raw-bytes-without-dockerignore")
}
