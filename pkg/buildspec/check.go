package buildspec

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/rackhq/rack/pkg/manifest"
)

var (
	// repository is a docker repository with its registry's host (and
	// port): host[:port]/name[/name...], without a tag.
	repository = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+$`)
	// buildID is what may follow "<service>." in a docker tag.
	buildID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// serviceName is a manifest's service name.
	serviceName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	// argName is a build argument's name: an environment variable's.
	argName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxTag is the longest tag docker takes.
const maxTag = 128

// checker collects every problem of a manifest and its options.
type checker struct {
	errs []error
}

func (c *checker) fail(at, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...)))
}

// options checks o and returns its registry: the host of its repository.
func (c *checker) options(o Options) string {
	if !repository.MatchString(o.Repository) {
		c.fail("repository", "%q is not a docker repository: host/name, without a tag", o.Repository)
	}
	if !buildID.MatchString(o.Build) {
		c.fail("build", "%q is not a build id", o.Build)
	}
	if o.Previous != "" && !buildID.MatchString(o.Previous) {
		c.fail("previous build", "%q is not a build id", o.Previous)
	}
	if !strings.HasPrefix(o.Source, "s3://") || len(o.Source) == len("s3://") || hasControl(o.Source) {
		c.fail("source", "%q is not an s3://bucket/key location", o.Source)
	}
	for _, name := range o.BuildArgs {
		if !argName.MatchString(name) {
			c.fail("build argument", "%q is not a variable name", name)
		}
	}
	registry, _, _ := strings.Cut(o.Repository, "/")
	return registry
}

// dir checks the manifest's directory and returns it, relative to where
// the buildspec starts.
func (c *checker) dir(dir string) string {
	if dir == "" {
		return sourceDir
	}
	p, _ := c.path(sourceDir, dir, "manifest directory")
	return p
}

// service checks s and returns the step that makes its image; nil when s
// cannot be built.
func (c *checker) service(s manifest.Service, o Options, root string) *step {
	at := "services." + s.Name
	n := len(c.errs)
	if !serviceName.MatchString(s.Name) {
		c.fail(at, "%q is not a service name", s.Name)
	}
	for _, build := range []string{o.Build, o.Previous} {
		if tag := s.Name + "." + build; len(tag) > maxTag {
			c.fail(at, "the image tag %s is longer than docker's %d characters", tag, maxTag)
		}
	}
	var st *step
	if s.Image != "" {
		st = c.image(s, at)
	} else {
		st = c.build(s, o, root, at)
	}
	if len(c.errs) > n {
		return nil
	}
	st.services = []string{s.Name}
	return st
}

// image checks a service that runs an image.
func (c *checker) image(s manifest.Service, at string) *step {
	switch {
	case s.Build.Path != "":
		c.fail(at, "both build and image: a service is built or pulled, not both")
	case hasControl(s.Image) || strings.HasPrefix(s.Image, "-"):
		c.fail(at+".image", "%q is not an image name", s.Image)
	}
	return &step{image: s.Image}
}

// build checks a service that is built, with Convox's defaults: the
// context is the manifest's directory, the Dockerfile is the context's
// Dockerfile.
func (c *checker) build(s manifest.Service, o Options, root, at string) *step {
	b := s.Build
	at += ".build"
	ctx, ok := c.path(root, cmp.Or(b.Path, "."), at+".path")
	if !ok {
		return nil
	}
	dockerfile, _ := c.path(ctx, cmp.Or(b.Manifest, "Dockerfile"), at+".manifest")
	return &step{context: ctx, dockerfile: dockerfile, args: c.args(b.Args, o.BuildArgs, at+".args")}
}

// path checks that rel, relative to base, is inside the source, and
// returns it relative to where the buildspec starts.
func (c *checker) path(base, rel, at string) (string, bool) {
	if path.IsAbs(rel) || hasControl(rel) {
		c.fail(at, "%q is not a relative path", rel)
		return "", false
	}
	p, ok := inside(base, rel)
	if !ok {
		c.fail(at, "%q is outside the source", rel)
	}
	return p, ok
}

// args returns a build's --build-arg values: the manifest's (NAME=value as
// it says, NAME from the environment), then the build's own, by name. A
// build's argument takes the place of the manifest's of the same name.
func (c *checker) args(manifestArgs, buildArgs []string, at string) []string {
	var out []string
	var names []string
	for _, a := range manifestArgs {
		name, _, _ := strings.Cut(a, "=")
		if !argName.MatchString(name) || hasControl(a) {
			c.fail(at, "%q is not NAME or NAME=value", a)
			continue
		}
		if slices.Contains(buildArgs, name) {
			a = name
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
			out = append(out, a)
		}
	}
	for _, name := range buildArgs {
		if !slices.Contains(names, name) {
			names = append(names, name)
			out = append(out, name)
		}
	}
	return out
}

// inside joins rel to base and says whether the result stays inside the
// source.
func inside(base, rel string) (string, bool) {
	p := path.Join(base, rel)
	return p, p == sourceDir || strings.HasPrefix(p, sourceDir+"/")
}

// hasControl says whether s has a character no command should carry: a
// newline, a NUL or any other control character.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}
