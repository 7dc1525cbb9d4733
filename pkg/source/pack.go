// Package source packs an app's source directory into the gzip'd tar that
// `convox build` uploads, reads one file (the manifest) back out of such an
// archive, and describes a build from the directory's git commit.
//
// Pack follows Docker's rules for a build context, so the archive holds
// what `docker build` would send from the same directory:
//
//   - dir/.dockerignore is read as Docker reads it (comments, `!`
//     exceptions, `**`, a leading slash ignored) and matched as Docker
//     matches it. A directory it leaves out is not read at all, unless an
//     exception pattern or a kept path starts with that directory's path.
//   - The root .dockerignore and Dockerfile are always archived, even when
//     .dockerignore matches them, as Docker always sends them; so is the
//     manifest (convox.yml by default), which the server needs, and any path
//     named in Options.Keep (a service's Dockerfile elsewhere, say).
//   - Every .git, at any depth, is left out, whatever .dockerignore says.
//   - Symbolic links are archived as links, never followed. Sockets, named
//     pipes and devices are left out. Hard links are archived as separate
//     files.
//
// The archive is deterministic: the same tree gives the same bytes, so an
// unchanged source can be recognised by its digest. To that end entries
// come in walk order (names sorted within each directory, a directory
// before its contents), every modification time is the same fixed instant
// (ModTime), and owners are left out. Permission bits are kept.
package source

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// DefaultManifest is the manifest's path when Options.Manifest is empty.
const DefaultManifest = "convox.yml"

// ModTime is the modification time of every entry Pack writes. A fixed
// time, rather than each file's own, makes the archive depend only on the
// files' names, contents and modes.
var ModTime = time.Unix(0, 0).UTC()

// Options says how Pack archives a directory.
type Options struct {
	// Manifest is the manifest's path, relative to the directory, with
	// slashes; empty means convox.yml. It must exist. It is the archive's
	// first entry, so that a reader finds it without reading the rest, and
	// it is archived even if .dockerignore matches it. If it is a symbolic
	// link, the file it points to (inside the directory) is archived under
	// the manifest's name.
	Manifest string

	// Keep lists further paths, relative to the directory, with slashes,
	// that are archived even if .dockerignore matches them. The root
	// .dockerignore and Dockerfile are always kept.
	Keep []string

	// NoDockerignore archives the directory as if it had no .dockerignore
	// (.git is still left out): Measure uses it to show what .dockerignore
	// saves.
	NoDockerignore bool
}

// Stats counts what Pack archived and what it left out.
type Stats struct {
	Files    int // regular files archived
	Dirs     int // directories archived
	Symlinks int // symbolic links archived, as links

	Bytes      int64 // the regular files' contents, before compression
	Compressed int64 // the archive's size: the bytes written

	// Ignored counts the paths .dockerignore left out. A directory left
	// out counts once: what is inside it is not read.
	Ignored int
	// Skipped counts what is neither a file, a directory nor a symbolic
	// link (sockets, named pipes, devices), which is never archived.
	Skipped int
}

// Pack writes a gzip'd tar of the directory dir to w, following the rules
// in the package's documentation, and reports what it wrote. It fails if
// dir is not a directory, if the manifest is missing, or if a file can't be
// read; the error names the path.
func Pack(dir string, w io.Writer, opts Options) (Stats, error) {
	root, err := sourceRoot(dir)
	if err != nil {
		return Stats{}, err
	}
	manifest, err := cleanRel(cmp.Or(opts.Manifest, DefaultManifest))
	if err != nil {
		return Stats{}, fmt.Errorf("manifest: %w", err)
	}
	f, err := newFilter(root, manifest, opts)
	if err != nil {
		return Stats{}, err
	}

	cw := &countingWriter{w: w}
	gz := gzip.NewWriter(cw)
	p := &packer{dir: dir, root: root, manifest: manifest, filter: f, tw: tar.NewWriter(gz)}
	if err := p.pack(); err != nil {
		return p.stats, err
	}
	if err := p.tw.Close(); err != nil {
		return p.stats, fmt.Errorf("write the archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return p.stats, fmt.Errorf("write the archive: %w", err)
	}
	p.stats.Compressed = cw.n
	return p.stats, nil
}

// Measure packs dir twice, to nowhere, with and without its .dockerignore,
// and returns both counts: the source's size with and without
// .dockerignore.
func Measure(dir string, opts Options) (with, without Stats, err error) {
	opts.NoDockerignore = false
	if with, err = Pack(dir, io.Discard, opts); err != nil {
		return with, without, err
	}
	opts.NoDockerignore = true
	without, err = Pack(dir, io.Discard, opts)
	return with, without, err
}

// sourceRoot resolves dir, following symbolic links, and checks that it is
// a directory.
func sourceRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", dir, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("source %s: not a directory", dir)
	}
	return root, nil
}

// cleanRel checks that name is a relative path inside a directory and
// returns it clean, with slashes.
func cleanRel(name string) (string, error) {
	clean := path.Clean(filepath.ToSlash(name))
	if clean == "." || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%q is not a path inside the source", name)
	}
	return clean, nil
}

// packer walks one directory into one tar stream.
type packer struct {
	dir      string // as the caller named it, for errors
	root     string // dir, absolute, with symbolic links resolved
	manifest string // clean, relative, with slashes
	filter   *filter
	tw       *tar.Writer
	stats    Stats
}

// pack writes the manifest, then the rest of the tree.
func (p *packer) pack() error {
	if err := p.writeManifest(); err != nil {
		return err
	}
	return filepath.WalkDir(p.root, p.visit)
}

// writeManifest writes the manifest as the first entry, as a regular file
// even if it is a symbolic link to one inside the directory. The
// directories it is in must be directories, not links to some: the walk
// would archive those as links, which an archive can't hold beside a file
// under them.
func (p *packer) writeManifest() error {
	full := filepath.Join(p.root, filepath.FromSlash(p.manifest))
	target, err := filepath.EvalSymlinks(full)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s not found in %s", p.manifest, p.dir)
	}
	if err != nil {
		return fmt.Errorf("manifest %s: %w", p.manifest, err)
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(full))
	if err != nil {
		return fmt.Errorf("manifest %s: %w", p.manifest, err)
	}
	if parent != filepath.Dir(full) {
		return fmt.Errorf("manifest %s: in a directory reached through a symbolic link", p.manifest)
	}
	if !inside(p.root, target) {
		return fmt.Errorf("manifest %s: a link to %s, outside the source", p.manifest, target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", p.manifest, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("manifest %s: not a regular file", p.manifest)
	}
	return p.writeFile(p.manifest, target, fi)
}

// inside reports whether the path target is root or under it.
func inside(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// visit is the walk's function: it archives one path, or leaves it out.
func (p *packer) visit(full string, d fs.DirEntry, err error) error {
	if err != nil {
		return fmt.Errorf("read %s: %w", p.relOf(full), err)
	}
	rel := p.relOf(full)
	if rel == "." || rel == p.manifest {
		return nil
	}
	if d.Name() == ".git" {
		return skip(d)
	}
	out, err := p.filter.leftOut(rel, d.IsDir())
	if err != nil {
		return err
	}
	if out {
		return p.leaveOut(rel, d)
	}
	return p.write(rel, full, d)
}

// relOf returns the path of full relative to the root, with slashes.
func (p *packer) relOf(full string) string {
	rel, err := filepath.Rel(p.root, full)
	if err != nil {
		return full
	}
	return filepath.ToSlash(rel)
}

// skip leaves out d: the whole of it if it is a directory.
func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// leaveOut counts a path .dockerignore matches and leaves it out. A
// directory is still walked, though not archived itself, when something
// inside it may be an exception.
func (p *packer) leaveOut(rel string, d fs.DirEntry) error {
	if d.IsDir() && p.filter.mayHoldException(rel) {
		return nil
	}
	p.stats.Ignored++
	return skip(d)
}

// write archives one path according to its type.
func (p *packer) write(rel, full string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	switch {
	case fi.Mode().IsRegular():
		return p.writeFile(rel, full, fi)
	case fi.IsDir():
		p.stats.Dirs++
		return p.writeHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: mode(fi)})
	case fi.Mode()&fs.ModeSymlink != 0:
		return p.writeSymlink(rel, full, fi)
	default:
		p.stats.Skipped++
		return nil
	}
}

// writeSymlink archives a symbolic link as a link, without following it.
func (p *packer) writeSymlink(rel, full string, fi fs.FileInfo) error {
	target, err := os.Readlink(full)
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	p.stats.Symlinks++
	return p.writeHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: rel, Linkname: target, Mode: mode(fi)})
}

// openFile opens a file to archive; tests replace it to make a file that
// cannot be read whoever runs them (root reads any file whatever its mode).
var openFile = os.Open

// writeFile archives the regular file at full, whose information is fi,
// under the name rel. It copies exactly the size fi gives, and fails if the
// file is shorter by then.
func (p *packer) writeFile(rel, full string, fi fs.FileInfo) error {
	f, err := openFile(full)
	if err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	defer f.Close()
	h := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: mode(fi), Size: fi.Size()}
	if err := p.writeHeader(h); err != nil {
		return err
	}
	n, err := io.CopyN(p.tw, f, fi.Size())
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: it shrank from %d to %d bytes while being packed", rel, fi.Size(), n)
	}
	if err != nil {
		return fmt.Errorf("pack %s: %w", rel, err)
	}
	p.stats.Files++
	p.stats.Bytes += n
	return nil
}

// writeHeader writes an entry's header, with the fixed modification time.
func (p *packer) writeHeader(h *tar.Header) error {
	h.ModTime = ModTime
	if err := p.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("pack %s: %w", h.Name, err)
	}
	return nil
}

// mode returns the bits of a tar header's mode for fi: its permissions, and
// setuid, setgid and sticky.
func mode(fi fs.FileInfo) int64 {
	m := int64(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

// filter decides, as Docker does, which paths .dockerignore leaves out.
type filter struct {
	pm   *patternmatcher.PatternMatcher // nil when nothing is ignored
	keep map[string]bool                // paths archived whatever .dockerignore says
	// parents holds the match results of the directories walked so far,
	// which their contents' matching starts from.
	parents map[string]patternmatcher.MatchInfo
}

// newFilter reads root/.dockerignore (none is no pattern) and keeps the
// manifest, the root .dockerignore and Dockerfile, and opts.Keep.
func newFilter(root, manifest string, opts Options) (*filter, error) {
	f := &filter{
		keep:    map[string]bool{manifest: true, ".dockerignore": true, "Dockerfile": true},
		parents: map[string]patternmatcher.MatchInfo{},
	}
	for _, k := range opts.Keep {
		clean, err := cleanRel(k)
		if err != nil {
			return nil, fmt.Errorf("keep: %w", err)
		}
		f.keep[clean] = true
	}
	if opts.NoDockerignore {
		return f, nil
	}
	patterns, err := readDockerignore(root)
	if err != nil || len(patterns) == 0 {
		return f, err
	}
	if f.pm, err = patternmatcher.New(patterns); err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return f, nil
}

// readDockerignore returns the patterns of root/.dockerignore, none if
// there is no such file.
func readDockerignore(root string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return patterns, nil
}

// leftOut reports whether .dockerignore leaves out the path rel. The walk
// must visit a directory before its contents.
func (f *filter) leftOut(rel string, dir bool) (bool, error) {
	if f.pm == nil || f.keep[rel] {
		return false, nil
	}
	out, info, err := f.pm.MatchesUsingParentResults(rel, f.parents[path.Dir(rel)])
	if err != nil {
		return false, fmt.Errorf(".dockerignore: matching %s: %w", rel, err)
	}
	if dir {
		f.parents[rel] = info
	}
	return out, nil
}

// mayHoldException reports whether the left-out directory rel must still
// be walked: a kept path is inside it, or an exception pattern starts with
// its path (Docker's test: an exception such as !**/*.go does not open a
// left-out directory).
func (f *filter) mayHoldException(rel string) bool {
	prefix := rel + "/"
	for k := range f.keep {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	if f.pm == nil || !f.pm.Exclusions() {
		return false
	}
	for _, p := range f.pm.Patterns() {
		if p.Exclusion() && strings.HasPrefix(p.String()+"/", prefix) {
			return true
		}
	}
	return false
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write writes p to the underlying writer and counts what it took.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
