package buildspec_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/buildspec"
	"github.com/rackhq/rack/pkg/manifest"
	packer "github.com/rackhq/rack/pkg/source"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// The fakes record each call as one line: the tool's name and its
// arguments, each ended by the unit separator.
const sep = "\x1f"

// fakeDocker records its calls. `login` checks the password on its stdin
// (read first, so the call is recorded after aws's that fed it); `build`
// checks that its context and Dockerfile are in the unpacked source,
// records the value docker would read for each --build-arg NAME, and fails
// when its tag is $FAKE_FAIL_BUILD; `pull` fails for images starting with
// $FAKE_MISSING.
const fakeDocker = `#!/usr/bin/env bash
if [ "$1" = login ]; then password=$(cat); fi
{ printf '%s\x1f' docker "$@"; printf '\n'; } >>"$FAKE_LOG"
fail() { echo "fake docker: $*" >&2; exit 1; }
case "$1" in
login)
  [ "$password" = "$FAKE_TOKEN" ] || fail "login: wrong password"
  ;;
build)
  shift
  while [ $# -gt 1 ]; do
    case "$1" in
    -t) tag=$2; shift ;;
    -f) dockerfile=$2; shift ;;
    --cache-from) shift ;;
    --build-arg)
      case "$2" in
      *=*) ;;
      *) if [ -n "${!2+set}" ]; then printf '%s=%s\n' "$2" "${!2}"; else printf '%s unset\n' "$2"; fi >>"$FAKE_BUILD_ARGS" ;;
      esac
      shift ;;
    --no-cache) ;;
    *) fail "build: unexpected argument $1" ;;
    esac
    shift
  done
  context=$1
  [ -d "$context" ] || fail "build: no context $context"
  [ -f "$dockerfile" ] || fail "build: no Dockerfile $dockerfile"
  [ "$tag" != "$FAKE_FAIL_BUILD" ] || fail "build: $tag failed"
  ;;
pull)
  if [ -n "$FAKE_MISSING" ] && [[ "$2" == "$FAKE_MISSING"* ]]; then fail "pull: $2 not found"; fi
  ;;
tag | push) ;;
*) fail "unexpected command $1" ;;
esac
`

// fakeAWS records its calls. `s3 cp` copies $FAKE_TARBALL to its
// destination when asked for $FAKE_SOURCE; `ecr get-login-password`
// prints $FAKE_TOKEN.
const fakeAWS = `#!/usr/bin/env bash
{ printf '%s\x1f' aws "$@"; printf '\n'; } >>"$FAKE_LOG"
fail() { echo "fake aws: $*" >&2; exit 1; }
case "$1 $2" in
"s3 cp")
  shift 2
  paths=()
  for a in "$@"; do case "$a" in --*) ;; *) paths+=("$a") ;; esac; done
  [ "${#paths[@]}" = 2 ] || fail "s3 cp: want a source and a destination"
  [ "${paths[0]}" = "$FAKE_SOURCE" ] || fail "s3 cp: no object ${paths[0]}"
  if [ "${paths[1]}" = - ]; then cat "$FAKE_TARBALL"; else cp "$FAKE_TARBALL" "${paths[1]}"; fi
  ;;
"ecr get-login-password") printf '%s\n' "$FAKE_TOKEN" ;;
*) fail "unexpected command $*" ;;
esac
`

// token is the fake registry password.
const token = "eyJwYXlsb2FkIjoiZmFrZSJ9"

// job is one run of a buildspec, as CodeBuild would run it.
type job struct {
	spec      []byte
	source    string            // the s3:// location the fake aws serves
	tree      string            // the directory uploaded there
	manifest  string            // the manifest's path in it; convox.yml when ""
	env       map[string]string // the variables StartBuild gives: build arguments' values
	failBuild string            // a tag whose docker build fails
	missing   string            // a prefix of images docker cannot pull
}

// result is what a job did.
type result struct {
	calls     [][]string // every docker and aws call, in order
	buildArgs []string   // NAME=value of each --build-arg NAME, as docker saw it
	failed    string     // the phase that failed; "" if none did
	output    string     // what the phases printed
	dir       string     // where the phases ran
}

// run runs the job's phases in CodeBuild's order with bash, with fake
// docker and aws first on PATH: the commands of a phase share one shell and
// stop at the first that fails; a failed phase that aborts ends the build,
// any other lets the next phase run, as CodeBuild does.
func run(t *testing.T, j job) result {
	t.Helper()
	bash, err := exec.LookPath("bash")
	require.NoError(t, err, "bash: make runs its recipes with it, and the buildspec's commands need it")
	tmp := t.TempDir()
	bin, work, home := filepath.Join(tmp, "bin"), filepath.Join(tmp, "work"), filepath.Join(tmp, "home")
	for _, d := range []string{bin, work, home} {
		require.NoError(t, os.Mkdir(d, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755))
	tarball := filepath.Join(tmp, "source.tar.gz")
	require.NoError(t, os.WriteFile(tarball, targz(t, j.tree, j.manifest), 0o644))
	log, argsLog := filepath.Join(tmp, "calls.log"), filepath.Join(tmp, "build-args.log")

	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"CODEBUILD_SRC_DIR=" + work,
		"FAKE_LOG=" + log,
		"FAKE_BUILD_ARGS=" + argsLog,
		"FAKE_TARBALL=" + tarball,
		"FAKE_SOURCE=" + j.source,
		"FAKE_TOKEN=" + token,
		"FAKE_FAIL_BUILD=" + j.failBuild,
		"FAKE_MISSING=" + j.missing,
	}
	for name, value := range j.env {
		env = append(env, name+"="+value)
	}

	d := parse(t, j.spec)
	var r result
	var out bytes.Buffer
	for _, name := range phaseOrder {
		p, ok := d.Phases[name]
		if !ok {
			continue
		}
		var script strings.Builder
		for _, c := range p.Commands {
			script.WriteString("{\n" + c + "\n} || exit $?\n")
		}
		cmd := exec.Command(bash, "-c", script.String())
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = work, env, &out, &out
		if err := cmd.Run(); err != nil {
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "phase %s did not run", name)
			if r.failed == "" {
				r.failed = name
			}
			if p.OnFailure == "ABORT" {
				break
			}
		}
	}
	r.output, r.dir = out.String(), work
	r.calls = readCalls(t, log)
	if data, err := os.ReadFile(argsLog); err == nil {
		r.buildArgs = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	return r
}

// readCalls reads the fakes' log.
func readCalls(t *testing.T, file string) [][]string {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var calls [][]string
	for line := range strings.Lines(string(data)) {
		fields := strings.Split(strings.TrimSuffix(line, "\n"), sep)
		calls = append(calls, fields[:len(fields)-1])
	}
	return calls
}

// targz is dir as `convox build` uploads it: packed by pkg/source, so
// .dockerignore leaves out of the build what it leaves out of the upload.
func targz(t *testing.T, dir, manifest string) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := packer.Pack(dir, &buf, packer.Options{Manifest: manifest})
	require.NoError(t, err)
	return buf.Bytes()
}

// exampleJob is the job of an example, built with its options.
func exampleJob(t *testing.T, example string, o buildspec.Options) job {
	t.Helper()
	spec, err := buildspec.Render(load(t, example), o)
	require.NoError(t, err)
	return job{spec: spec, source: o.Source, tree: examples.Path(example), manifest: examples.Manifest(example)}
}

// call is one expected call.
func call(words ...string) []string { return words }

// prelude is every build's first calls: the source fetched, docker logged
// in to the registry.
func prelude(example string) [][]string {
	return [][]string{
		call("aws", "s3", "cp", "--no-progress", source(example), "source.tar.gz"),
		call("aws", "ecr", "get-login-password"),
		call("docker", "login", "--username", "AWS", "--password-stdin", registry),
	}
}

// TestRunExamples runs each example's buildspec and checks every call it
// makes: what is built (flags, Dockerfile, context), pulled, tagged and
// pushed.
func TestRunExamples(t *testing.T) {
	const inline = "BUILDKIT_INLINE_CACHE=1"
	cases := map[string]struct {
		env       map[string]string
		calls     [][]string
		buildArgs []string
	}{
		"web-worker": {calls: [][]string{
			call("docker", "build", "--build-arg", inline, "-t", repository("web-worker")+":web."+build,
				"-f", "source/Dockerfile", "source"),
			call("docker", "build", "--build-arg", inline, "-t", repository("web-worker")+":worker."+build,
				"-f", "source/worker/Dockerfile", "source/worker"),
			call("docker", "push", repository("web-worker")+":web."+build),
			call("docker", "push", repository("web-worker")+":worker."+build),
		}},
		"image": {calls: [][]string{
			call("docker", "pull", "redis:7"),
			call("docker", "tag", "redis:7", repository("image")+":redis."+build),
			call("docker", "pull", repository("image")+":web."+previous),
			call("docker", "build", "--cache-from", repository("image")+":web."+previous, "--build-arg", inline,
				"-t", repository("image")+":web."+build, "-f", "source/Dockerfile", "source"),
			call("docker", "push", repository("image")+":redis."+build),
			call("docker", "push", repository("image")+":web."+build),
		}},
		"build-options": {
			env: map[string]string{"NPM_TOKEN": "npm_s3cr3t", "COMMIT": "4f2a9c1"},
			calls: [][]string{
				call("docker", "pull", repository("build-options")+":jobs."+previous),
				call("docker", "build", "--cache-from", repository("build-options")+":jobs."+previous,
					"--build-arg", inline, "--build-arg", "NODE_ENV=production", "--build-arg", "NPM_TOKEN",
					"--build-arg", "COMMIT", "-t", repository("build-options")+":jobs."+build,
					"-f", "source/app/Dockerfile.prod", "source/app"),
				call("docker", "tag", repository("build-options")+":jobs."+build, repository("build-options")+":web."+build),
				call("docker", "push", repository("build-options")+":jobs."+build),
				call("docker", "push", repository("build-options")+":web."+build),
			},
			buildArgs: []string{"NPM_TOKEN=npm_s3cr3t", "COMMIT=4f2a9c1"},
		},
		"nested": {calls: [][]string{
			call("docker", "build", "--no-cache", "--build-arg", inline, "-t", repository("nested")+":web."+build,
				"-f", "source/app/Dockerfile", "source/app"),
			call("docker", "build", "--no-cache", "--build-arg", inline, "-t", repository("nested")+":worker."+build,
				"-f", "source/app/Dockerfile.worker", "source"),
			call("docker", "push", repository("nested")+":web."+build),
			call("docker", "push", repository("nested")+":worker."+build),
		}},
		"image-web": {calls: [][]string{
			call("docker", "pull", "nginx"),
			call("docker", "tag", "nginx", repository("image-web")+":web."+build),
			call("docker", "push", repository("image-web")+":web."+build),
		}},
		"scaled": {calls: [][]string{
			call("docker", "pull", repository("scaled")+":admin."+previous),
			call("docker", "build", "--cache-from", repository("scaled")+":admin."+previous, "--build-arg", inline,
				"-t", repository("scaled")+":admin."+build, "-f", "source/Dockerfile", "source"),
			call("docker", "tag", repository("scaled")+":admin."+build, repository("scaled")+":api."+build),
			call("docker", "tag", repository("scaled")+":admin."+build, repository("scaled")+":web."+build),
			call("docker", "push", repository("scaled")+":admin."+build),
			call("docker", "push", repository("scaled")+":api."+build),
			call("docker", "push", repository("scaled")+":web."+build),
		}},
		"timers": {calls: [][]string{
			call("docker", "pull", repository("timers")+":jobs."+previous),
			call("docker", "build", "--cache-from", repository("timers")+":jobs."+previous, "--build-arg", inline,
				"-t", repository("timers")+":jobs."+build, "-f", "source/Dockerfile", "source"),
			call("docker", "push", repository("timers")+":jobs."+build),
		}},
		"two-built": {calls: [][]string{
			call("docker", "build", "--build-arg", inline, "-t", repository("two-built")+":web."+build,
				"-f", "source/Dockerfile", "source"),
			call("docker", "build", "--build-arg", inline, "-t", repository("two-built")+":worker."+build,
				"-f", "source/worker/Dockerfile", "source/worker"),
			call("docker", "push", repository("two-built")+":web."+build),
			call("docker", "push", repository("two-built")+":worker."+build),
		}},
	}
	for _, example := range examples.Names() {
		t.Run(example, func(t *testing.T) {
			c, ok := cases[example]
			require.True(t, ok, "no expected calls for example %s: add its case", example)
			j := exampleJob(t, example, options(t, example))
			j.env = c.env
			r := run(t, j)
			require.Empty(t, r.failed, r.output)
			require.Equal(t, append(prelude(example), c.calls...), r.calls)
			require.Equal(t, c.buildArgs, r.buildArgs)
			for _, value := range c.env {
				require.NotContains(t, string(j.spec), value, "a build argument's value is in the buildspec")
			}
			requireOnePushEach(t, load(t, example), repository(example), r.calls)
		})
	}
}

// requireOnePushEach checks that every service of m, and nothing else, is
// pushed once, to the app's repository, tagged for the build.
func requireOnePushEach(t *testing.T, m manifest.Manifest, repo string, calls [][]string) {
	t.Helper()
	var want []string
	for _, s := range m.Services {
		want = append(want, repo+":"+s.Name+"."+build)
	}
	require.Equal(t, want, pushes(calls))
}

// pushes are the images a run pushed.
func pushes(calls [][]string) []string {
	var out []string
	for _, c := range calls {
		if len(c) == 3 && c[0] == "docker" && c[1] == "push" {
			out = append(out, c[2])
		}
	}
	return out
}

// TestFailedBuildPushesNothing: when one service's build fails, the build
// stops there and no image is pushed, not even those already built.
func TestFailedBuildPushesNothing(t *testing.T) {
	for _, failing := range []string{"web", "worker"} {
		t.Run(failing, func(t *testing.T) {
			j := exampleJob(t, "web-worker", options(t, "web-worker"))
			j.failBuild = repository("web-worker") + ":" + failing + "." + build
			r := run(t, j)
			require.Equal(t, "build", r.failed)
			require.Empty(t, pushes(r.calls), r.output)
			last := r.calls[len(r.calls)-1]
			require.Equal(t, []string{"docker", "build"}, last[:2], "the build went on after a failed docker build")
			require.Contains(t, last, j.failBuild)
			require.Contains(t, r.output, "build: "+j.failBuild+" failed")
		})
	}
}

// TestFailedFetchBuildsNothing: without its source, a build makes no call
// to docker.
func TestFailedFetchBuildsNothing(t *testing.T) {
	j := exampleJob(t, "web-worker", options(t, "web-worker"))
	j.source = "s3://another-bucket/key"
	r := run(t, j)
	require.Equal(t, "install", r.failed)
	require.Equal(t, [][]string{call("aws", "s3", "cp", "--no-progress", source("web-worker"), "source.tar.gz")}, r.calls)
}

// TestCache: a rebuild pulls the previous build's images and builds from
// them; one missing (a service new since) only goes without. An uncached
// build pulls none of them.
func TestCache(t *testing.T) {
	repo := repository("web-worker")
	inline := []string{"--build-arg", "BUILDKIT_INLINE_CACHE=1"}
	buildCall := func(service string, flags []string, dockerfile, context string) []string {
		c := append(append(call("docker", "build"), flags...), inline...)
		return append(c, "-t", repo+":"+service+"."+build, "-f", dockerfile, context)
	}
	pushed := [][]string{call("docker", "push", repo+":web."+build), call("docker", "push", repo+":worker."+build)}

	t.Run("previous", func(t *testing.T) {
		o := options(t, "web-worker")
		o.Previous = previous
		j := exampleJob(t, "web-worker", o)
		j.missing = repo + ":worker."
		r := run(t, j)
		require.Empty(t, r.failed, r.output)
		want := append(prelude("web-worker"),
			call("docker", "pull", repo+":web."+previous),
			buildCall("web", []string{"--cache-from", repo + ":web." + previous}, "source/Dockerfile", "source"),
			call("docker", "pull", repo+":worker."+previous),
			buildCall("worker", []string{"--cache-from", repo + ":worker." + previous}, "source/worker/Dockerfile", "source/worker"),
		)
		require.Equal(t, append(want, pushed...), r.calls)
		require.Contains(t, r.output, "No image of worker from build "+previous+", so no cache")
	})

	t.Run("no cache", func(t *testing.T) {
		o := options(t, "web-worker")
		o.Previous = previous
		o.NoCache = true
		r := run(t, exampleJob(t, "web-worker", o))
		require.Empty(t, r.failed, r.output)
		want := append(prelude("web-worker"),
			buildCall("web", []string{"--no-cache"}, "source/Dockerfile", "source"),
			buildCall("worker", []string{"--no-cache"}, "source/worker/Dockerfile", "source/worker"),
		)
		require.Equal(t, append(want, pushed...), r.calls)
	})
}

// TestHostileValues: paths, images, build arguments and a source location
// full of shell syntax reach docker and aws as they are, and run nothing.
func TestHostileValues(t *testing.T) {
	const (
		dir   = `app $(touch pwned-dir)`
		ctx   = `it's "$(touch pwned-path)"; touch pwned-semicolon`
		df    = "Dockerfile `touch pwned-backtick`"
		image = `redis:7$(touch pwned-image)' ; touch pwned-quote; '`
		arg   = `GREETING=hello $USER & touch pwned-arg`
		src   = `s3://bucket/sources/app/$(touch pwned-source)`
	)
	tree := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(tree, dir, ctx), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tree, dir, ctx, df), []byte("FROM scratch\n"), 0o644))
	m := manifest.Manifest{Services: []manifest.Service{
		{Name: "cache", Image: image},
		{Name: "web", Build: manifest.Build{Path: ctx, Manifest: df, Args: []string{arg}}},
	}}
	o := options(t, "web-worker")
	o.Dir, o.Source = dir, src
	spec, err := buildspec.Render(m, o)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(filepath.Join(tree, "convox.yml"), []byte("services: {}\n"), 0o644)) // what the upload must have
	r := run(t, job{spec: spec, source: src, tree: tree})
	err = filepath.WalkDir(filepath.Dir(r.dir), func(file string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), "pwned") {
			t.Errorf("a value ran a command: %s exists", file)
		}
		return err
	})
	require.NoError(t, err)
	require.Empty(t, r.failed, r.output)
	repo := repository("web-worker")
	context := "source/" + dir + "/" + ctx
	want := [][]string{
		call("aws", "s3", "cp", "--no-progress", src, "source.tar.gz"),
		call("aws", "ecr", "get-login-password"),
		call("docker", "login", "--username", "AWS", "--password-stdin", registry),
		call("docker", "pull", image),
		call("docker", "tag", image, repo+":cache."+build),
		call("docker", "build", "--build-arg", "BUILDKIT_INLINE_CACHE=1", "--build-arg", arg,
			"-t", repo+":web."+build, "-f", context+"/"+df, context),
		call("docker", "push", repo+":cache."+build),
		call("docker", "push", repo+":web."+build),
	}
	require.Equal(t, want, r.calls)
}
