package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// TestBinaryAgainstLocalAPI builds the convox binary and the local API
// (scripts/rackdev), runs the API as the local rack environment on the
// emulator, and drives it with the convox binary as a user would.
func TestBinaryAgainstLocalAPI(t *testing.T) {
	endpoint := emulatortest.Endpoint(t)
	dir := t.TempDir()
	convox := filepath.Join(dir, "convox")
	apiBin := filepath.Join(dir, "rackdev")
	for out, pkg := range map[string]string{convox: ".", apiBin: "../scripts/rackdev"} {
		// Built as make builds the functions and the CLI (-trimpath, no
		// cgo), so the packages they share compile once in a cold run.
		build := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		output, err := build.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, output)
	}

	addr := freeAddr(t)
	name := emulatortest.Name("e2e")
	const password = "e2e-password"
	api := exec.Command(apiBin, "api", "-listen", addr, "-local", name, "-password", password, "-sweep", "100ms")
	api.Env = append(awsEnv(endpoint), "VERSION=e2e")
	var apiLog bytes.Buffer
	api.Stdout, api.Stderr = &apiLog, &apiLog
	require.NoError(t, api.Start())
	// stopAPI ends the api; its log may be read only after.
	stopAPI := sync.OnceFunc(func() {
		_ = api.Process.Kill()
		_ = api.Wait()
	})
	t.Cleanup(func() {
		stopAPI()
		if t.Failed() {
			t.Logf("api log:\n%s", apiLog.String())
		}
	})
	host := "http://" + addr
	waitHealthy(t, host+"/health")

	user := binary{t: t, path: convox, env: []string{"CONVOX_CONFIG=" + filepath.Join(dir, "config"), "PATH=" + os.Getenv("PATH")}}
	run, ok := user.run, user.ok

	_, stderr, code := run("wrong\n", "login", host)
	require.Equal(t, 1, code)
	require.Equal(t, "ERROR: invalid login\n", stderr)

	stdout, stderr := ok("login", host, "-p", password)
	require.Equal(t, "Authenticating with "+host+"... OK\n", stdout)
	require.Equal(t, "", stderr)

	stdout, stderr = ok("apps", "create", "myapp", "--wait")
	require.Equal(t, "Creating myapp... OK\n", stdout)
	require.Equal(t, "", stderr)

	stdout, stderr = ok("env", "set", "A=1", "B=x=y", "-a", "myapp")
	require.Regexp(t, regexp.MustCompile(`^Setting A, B\.\.\. OK\nRelease: R[A-Z]{10}\n$`), stdout)
	require.Equal(t, "", stderr)
	release := strings.TrimSpace(strings.TrimPrefix(stdout, "Setting A, B... OK\nRelease: "))

	stdout, _ = ok("releases", "-a", "myapp")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2, stdout)
	require.Regexp(t, `^ID +STATUS +BUILD +CREATED +DESCRIPTION$`, lines[0])
	require.Regexp(t, "^"+release+` +(\d+ seconds? ago|now) +env add:A,B$`, lines[1])

	stdout, _ = ok("env", "-a", "myapp")
	require.Equal(t, "A=1\nB=x=y\n", stdout)

	stdout, _ = ok("apps", "--json")
	var apps []struct{ Name, Status string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &apps), stdout)
	require.Equal(t, []struct{ Name, Status string }{{"myapp", "running"}}, apps)

	stdout, stderr = ok("env", "unset", "A", "-a", "myapp", "--id")
	require.Regexp(t, `^R[A-Z]{10}$`, stdout)
	require.Regexp(t, `^Unsetting A\.\.\. OK\nRelease: R[A-Z]{10}\n$`, stderr)
	stdout, _ = ok("env", "-a", "myapp")
	require.Equal(t, "B=x=y\n", stdout)

	buildOnEmulator(t, user, name)
	concurrentEnvSets(t, user)

	stdout, stderr = ok("apps", "delete", "myapp", "--wait")
	require.Equal(t, "Deleting myapp... OK\n", stdout)
	require.Equal(t, "", stderr)
	stdout, _ = ok("apps")
	require.Equal(t, "APP  STATUS  RELEASE\n", stdout)

	stopAPI()
	require.NotContains(t, apiLog.String(), password, "the password is never logged")
	require.NotContains(t, apiLog.String(), "x=y", "environment values are never logged")
}

// binary runs a built convox as a user would, in a clean environment.
type binary struct {
	t    *testing.T
	path string
	env  []string
	dir  string // the working directory; "" for the test's
}

// run runs convox with stdin and returns its stdout, stderr and exit code.
func (b binary) run(stdin string, args ...string) (string, string, int) {
	b.t.Helper()
	cmd := exec.Command(b.path, args...)
	cmd.Env, cmd.Dir = b.env, b.dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(b.t, err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs convox, which must succeed, and returns its stdout and stderr.
func (b binary) ok(args ...string) (string, string) {
	b.t.Helper()
	start := time.Now()
	stdout, stderr, code := b.run("", args...)
	require.Equal(b.t, 0, code, "convox %s:\n%s", strings.Join(args, " "), stderr)
	b.t.Logf("convox %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return stdout, stderr
}

// awsEnv is a clean environment pointing the AWS SDK at the emulator.
func awsEnv(endpoint string) []string {
	env := []string{"AWS_ENDPOINT_URL=" + endpoint, "PATH=" + os.Getenv("PATH")}
	for k, def := range map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"} {
		env = append(env, k+"="+cmp.Or(os.Getenv(k), def))
	}
	return env
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	require.Eventually(t, func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "%s did not answer", url)
}

// buildOnEmulator builds the two-service example as myapp: the source
// goes to the emulator's S3, the build starts on its CodeBuild, the sweep
// completes it (the emulator's builds succeed at once and emit no
// events), and the release carries the manifest. A bad manifest fails
// with every error and records nothing.
func buildOnEmulator(t *testing.T, user binary, rackName string) {
	t.Helper()
	run, ok := user.run, user.ok
	dir := examples.Path("web-worker")
	manifest, err := os.ReadFile(filepath.Join(dir, "convox.yml"))
	require.NoError(t, err)

	stdout, stderr := ok("build", dir, "-a", "myapp", "-d", "first build")
	m := regexp.MustCompile(`^Packaging source\.\.\. OK\nUploading source\.\.\. OK\nStarting build\.\.\. OK\nBuild:   (B[A-Z]{10})\nRelease: (R[A-Z]{10})\n$`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	require.Equal(t, "", stderr)
	build, release := m[1], m[2]

	stdout, _ = ok("builds", "-a", "myapp")
	require.Regexp(t, `\n`+build+`  complete  `+release+`  .*  first build\n$`, stdout)
	stdout, _ = ok("builds", "info", build, "-a", "myapp", "--json")
	var b struct{ ID, Status, Release, Manifest string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &b))
	require.Equal(t, build, b.ID)
	require.Equal(t, string(manifest), b.Manifest)
	stdout, _ = ok("api", "get", "/apps/myapp/releases/"+release)
	var r struct{ Build, Manifest string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Equal(t, build, r.Build)
	require.Equal(t, string(manifest), r.Manifest, "the release carries the manifest")

	// The emulator's builder writes no output: write what CodeBuild
	// would, where the build says its output is.
	putBuildOutput(t, rackName, "Building web\n", "Building worker\n")
	stdout, _ = ok("builds", "logs", build, "-a", "myapp")
	require.Equal(t, "Building web\nBuilding worker\n", stdout)

	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "convox.yml"), []byte("services:\n  web:\n    port: abc\n    scael: 2\n"), 0o644))
	stdout, stderr, code := run("", "build", bad, "-a", "myapp")
	require.Equal(t, 1, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "ERROR: convox.yml is not valid:\n")
	require.Contains(t, stderr, "services.web.port")
	require.Contains(t, stderr, "services.web.scael")
	stdout, _ = ok("builds", "-a", "myapp", "--json")
	var builds []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &builds))
	require.Len(t, builds, 1, "nothing recorded")
}

// putBuildOutput writes lines where the local rack's one build says its
// output goes, as CodeBuild would.
func putBuildOutput(t *testing.T, rackName string, lines ...string) {
	t.Helper()
	cfg := emulatortest.Config(t)
	cb := codebuild.NewFromConfig(cfg)
	ids, err := cb.ListBuildsForProject(t.Context(), &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("rack-" + rackName)})
	require.NoError(t, err)
	require.Len(t, ids.Ids, 1)
	out, err := cb.BatchGetBuilds(t.Context(), &codebuild.BatchGetBuildsInput{Ids: ids.Ids})
	require.NoError(t, err)
	group, stream := out.Builds[0].Logs.GroupName, out.Builds[0].Logs.StreamName
	logs := cloudwatchlogs.NewFromConfig(cfg)
	_, err = logs.CreateLogStream(t.Context(), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream})
	emulatortest.Created(t, err)
	var events []logtypes.InputLogEvent
	for _, l := range lines {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(time.Now().UnixMilli())})
	}
	_, err = logs.PutLogEvents(t.Context(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: events})
	require.NoError(t, err)
}

// concurrentEnvSets runs twenty convox env set at once, each of its own
// key, against the rack on the emulator: all twenty keys are kept.
func concurrentEnvSets(t *testing.T, user binary) {
	t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, 20)
	stderrs := make([]string, 20)
	start := time.Now()
	for i := range 20 {
		wg.Go(func() {
			_, stderrs[i], codes[i] = user.run("", "env", "set", fmt.Sprintf("K%02d=%d", i, i), "-a", "myapp")
		})
	}
	wg.Wait()
	t.Logf("figure: 20 concurrent convox env set on one app: %s", time.Since(start).Round(time.Millisecond))
	for i := range 20 {
		require.Equal(t, 0, codes[i], "env set K%02d: %s", i, stderrs[i])
	}
	stdout, _ := user.ok("env", "-a", "myapp", "--json")
	var env map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &env))
	for i := range 20 {
		require.Equal(t, fmt.Sprint(i), env[fmt.Sprintf("K%02d", i)], "every key kept")
	}
}
