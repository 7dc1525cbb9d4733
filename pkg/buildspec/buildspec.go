// Package buildspec renders the CodeBuild buildspec that builds an app's
// images from its checked manifest, as Convox's builder does: one
// `docker build` per distinct build (path, Dockerfile and arguments), one
// `docker pull` per distinct image, and for every service of the manifest
// one image pushed to the app's repository as <repository>:<service>.<build>.
//
// The buildspec fetches the uploaded source itself (the rack's CodeBuild
// project has none) and logs in to the app's registry. It holds no secret:
// a build argument is passed to docker by name, and docker reads its value
// from the environment, where the caller puts it when it starts the build.
// Every value it puts in a command is quoted for the shell. The package is
// pure: it makes text and calls nothing.
package buildspec

import (
	"bytes"
	"errors"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rackhq/rack/pkg/manifest"
)

// Options says what a build is: where its source is, where its images go
// and how they are built.
type Options struct {
	// Repository is the app's image repository, as docker names it:
	// <account>.dkr.ecr.<region>.amazonaws.com/<name>.
	Repository string
	// Build is the build's id; every image is tagged <service>.<Build>.
	Build string
	// Source is where the uploaded source is: s3://bucket/key of a tar.gz.
	Source string
	// Dir is the manifest's directory inside the source, "" or "." for its
	// root. Build paths are relative to it.
	Dir string
	// NoCache builds every image from scratch.
	NoCache bool
	// Previous is the id of the app's last complete build, "" for none:
	// its images are the cache of this one's.
	Previous string
	// BuildArgs names the build arguments given for this build. Their
	// values are not here: CodeBuild's environment holds them, under the
	// same names, and docker reads them from there.
	BuildArgs []string
}

// Where the buildspec puts the source: relative to the directory CodeBuild
// starts every phase in, so no phase depends on another's working
// directory.
const (
	sourceDir     = "source"
	sourceArchive = "source.tar.gz"
)

// inlineCache makes a built image carry its own build cache, so that the
// next build can use it with --cache-from.
const inlineCache = "BUILDKIT_INLINE_CACHE=1"

// spec is the part of a version 0.2 buildspec Render writes.
type spec struct {
	Version float64 `yaml:"version"`
	Env     env     `yaml:"env"`
	Phases  phases  `yaml:"phases"`
}

type env struct {
	Shell string `yaml:"shell"`
}

type phases struct {
	Install   phase `yaml:"install"`
	PreBuild  phase `yaml:"pre_build"`
	Build     phase `yaml:"build"`
	PostBuild phase `yaml:"post_build"`
}

// phase is a list of commands run in one shell. OnFailure is ABORT on
// every phase: CodeBuild would otherwise run post_build, and push, after a
// failed build phase.
type phase struct {
	OnFailure string   `yaml:"on-failure"`
	Commands  []string `yaml:"commands"`
}

// Render returns the buildspec that builds m's images as o says. An error
// lists everything in m or o that cannot be built: a build path outside the
// source, a name docker cannot tag, a value that cannot be put in a command.
func Render(m manifest.Manifest, o Options) ([]byte, error) {
	p, err := newPlan(m, o)
	if err != nil {
		return nil, err
	}
	s := spec{
		Version: 0.2,
		Env:     env{Shell: "bash"},
		Phases: phases{
			Install:   abort(p.fetch()),
			PreBuild:  abort(p.login()),
			Build:     abort(p.build()),
			PostBuild: abort(p.push()),
		},
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// abort is a phase of commands that ends the build when one fails.
func abort(commands []string) phase {
	return phase{OnFailure: "ABORT", Commands: commands}
}

// plan is what a build does, checked: its images to build and to pull, and
// what each is tagged for.
type plan struct {
	o        Options
	registry string
	steps    []*step
	services []string // every service, in the manifest's order
}

// step makes the image of one or more services: a build, or a pull of an
// image.
type step struct {
	image      string   // a pull of this image; "" for a build
	context    string   // the build's context, relative to the start directory
	dockerfile string   // the build's Dockerfile, likewise
	args       []string // the build's --build-arg values: NAME or NAME=value
	services   []string // the services it makes the image of, in order
}

// key says which services share a step: those with the same image, or the
// same context, Dockerfile and arguments.
func (s *step) key() string {
	if s.image != "" {
		return "image\x00" + s.image
	}
	return strings.Join(append([]string{"build", s.context, s.dockerfile}, s.args...), "\x00")
}

// newPlan checks o and m and plans the build, returning every problem
// found at once.
func newPlan(m manifest.Manifest, o Options) (*plan, error) {
	c := &checker{}
	p := &plan{o: o, registry: c.options(o)}
	root := c.dir(o.Dir)
	byKey := map[string]*step{}
	for _, svc := range m.Services {
		st := c.service(svc, o, root)
		if st == nil {
			continue
		}
		p.services = append(p.services, svc.Name)
		if shared, ok := byKey[st.key()]; ok {
			shared.services = append(shared.services, svc.Name)
			continue
		}
		byKey[st.key()] = st
		p.steps = append(p.steps, st)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return p, nil
}

// tag is the name of service's image of build.
func (p *plan) tag(service, build string) string {
	return p.o.Repository + ":" + service + "." + build
}

// fetch downloads the source and unpacks it.
func (p *plan) fetch() []string {
	return []string{
		echo("Fetching the source from " + p.o.Source),
		command("mkdir", "-p", sourceDir),
		command("aws", "s3", "cp", "--no-progress", p.o.Source, sourceArchive),
		command("tar", "-xzf", sourceArchive, "-C", sourceDir),
	}
}

// login logs docker in to the app's registry; the password goes through a
// pipe, never on a command line.
func (p *plan) login() []string {
	return []string{
		echo("Logging in to " + p.registry),
		command("aws", "ecr", "get-login-password") + " | " +
			command("docker", "login", "--username", "AWS", "--password-stdin", p.registry),
	}
}

// build makes every service's image and tags it for the service.
func (p *plan) build() []string {
	if len(p.steps) == 0 {
		return []string{echo("Nothing to build: the manifest has no services")}
	}
	var cmds []string
	for _, st := range p.steps {
		if st.image != "" {
			cmds = append(cmds, p.pull(st)...)
		} else {
			cmds = append(cmds, p.dockerBuild(st)...)
		}
	}
	return cmds
}

// pull fetches an image and tags it for each of its services, so that a
// release names only images of the app's own repository.
func (p *plan) pull(st *step) []string {
	cmds := []string{
		echo("Pulling " + st.image + " for " + strings.Join(st.services, ", ")),
		command("docker", "pull", st.image),
	}
	for _, svc := range st.services {
		cmds = append(cmds, command("docker", "tag", st.image, p.tag(svc, p.o.Build)))
	}
	return cmds
}

// dockerBuild builds an image once, tagged for its first service, and tags
// it for the others. Unless the build is uncached, the first service's
// image of the previous build is the cache, if it is there.
func (p *plan) dockerBuild(st *step) []string {
	first := st.services[0]
	target := p.tag(first, p.o.Build)
	cmds := []string{echo("Building " + strings.Join(st.services, ", "))}
	args := []string{"docker", "build"}
	if p.o.NoCache {
		args = append(args, "--no-cache")
	} else if p.o.Previous != "" {
		cache := p.tag(first, p.o.Previous)
		cmds = append(cmds, command("docker", "pull", cache)+" || "+
			echo("No image of "+first+" from build "+p.o.Previous+", so no cache"))
		args = append(args, "--cache-from", cache)
	}
	args = append(args, "--build-arg", inlineCache)
	for _, a := range st.args {
		args = append(args, "--build-arg", a)
	}
	args = append(args, "-t", target, "-f", st.dockerfile, st.context)
	cmds = append(cmds, command(args...))
	for _, svc := range st.services[1:] {
		cmds = append(cmds, command("docker", "tag", target, p.tag(svc, p.o.Build)))
	}
	return cmds
}

// push pushes every service's image, once each.
func (p *plan) push() []string {
	if len(p.services) == 0 {
		return []string{echo("Nothing to push: the manifest has no services")}
	}
	var cmds []string
	for _, svc := range p.services {
		cmds = append(cmds,
			echo("Pushing "+svc),
			command("docker", "push", p.tag(svc, p.o.Build)))
	}
	return cmds
}

// echo is a command that prints line to the build's log.
func echo(line string) string {
	return command("echo", line)
}

// command is a shell command running name with args, each quoted.
func command(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = quote(w)
	}
	return strings.Join(quoted, " ")
}

// plain matches words the shell reads as they are: no quote, space,
// variable, glob, tilde or operator.
var plain = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// quote makes s one shell word that stands for s itself: as it is when it
// is plain; in double quotes, which read best in the log, when nothing in
// it is special there; else in single quotes, where only a single quote
// needs care.
func quote(s string) string {
	switch {
	case plain.MatchString(s):
		return s
	case !strings.ContainsAny(s, "$`\\\"!"):
		return `"` + s + `"`
	default:
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
}
