package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

const testPassword = "s3cret-pass"

// rackServer is an API over the in-memory store, with ids handed out in
// order (RAAAAAAAAAB, RAAAAAAAAAC, ...) and a clock the test controls.
type rackServer struct {
	url    string
	close  func()
	store  *memstore.Store
	stacks *fake.Stacks
	// stack is the rack's own stack.
	stack *fake.RackStack
	clock *storetest.Clock
	apps  *service.Apps
	// builds are the builds use cases, and sources, builder and buildLogs
	// the outside systems behind them.
	builds    *service.Builds
	sources   *fake.Sources
	builder   *fake.Builder
	buildLogs *fake.Logs
	// promotions are the promotion use cases, and updates the app stacks'
	// updates behind them (completed at once unless updates.Hold).
	promotions *service.Promotions
	updates    *fake.Updates
	// running is ECS's side of the apps' services: counts, restarts; and
	// tasks their processes.
	running *fake.Running
	tasks   *fake.Tasks
	// logs are the apps' log groups, and appLogs the logs use cases.
	logs    *fake.LogGroups
	appLogs *service.Logs
}

// settle finishes every stack change under way and runs the sweep, as the
// stack events and the releases function would.
func (r *rackServer) settle() {
	r.stacks.Settle()
	if err := r.apps.ReconcileApps(context.Background()); err != nil {
		panic(err)
	}
}

func newRackServer(t *testing.T) *rackServer { return newNamedRack(t, "dev") }

// newNamedRack is a rack called name.
func newNamedRack(t *testing.T, name string) *rackServer {
	t.Helper()
	clock := storetest.NewClock()
	var mu sync.Mutex
	n := 0
	ids := func(prefix string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return storetest.ID(prefix, n), nil
	}
	r := &rackServer{store: memstore.New(clock.Now), stacks: fake.NewStacks(), clock: clock}
	r.stack = fake.NewRackStack(name, map[string]string{"Version": "1.2.3", "Architecture": "arm64", "InstanceCount": "0", "Password": "secret"}, "Password")
	core := service.NewCore(service.CoreConfig{Rack: name, NewID: ids, Now: clock.Now})
	r.apps = service.NewApps(core, r.store, r.stacks)
	releases := service.NewReleases(core, r.store, fake.Sealer{})
	r.sources, r.builder, r.buildLogs = fake.NewSources(), fake.NewBuilder(), fake.NewLogs()
	t.Cleanup(r.sources.Close)
	r.builds = service.NewBuilds(core, r.store, service.BuildPorts{
		Sources: r.sources, Builder: r.builder, Logs: r.buildLogs, Images: &fake.Images{}, Releaser: releases,
		Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
	})
	r.updates, r.running, r.tasks = fake.NewUpdates(clock.Now), fake.NewRunning(), fake.NewTasks(clock.Now)
	r.promotions = service.NewPromotions(core, r.store, fake.Sealer{}, service.PromotePorts{
		Stacks: r.updates, Env: fake.NewEnvValues(), Layout: &fake.Layout{}, Deployments: r.updates,
	})
	services := service.NewServices(core, r.promotions, releases, r.running)
	r.logs = fake.NewLogGroups()
	r.appLogs = service.NewLogs(core, r.store, r.logs)
	r.appLogs.Wait = 0
	r.appLogs.RackGroups = map[string]string{"api": "/rack/" + name + "/api", "releases": "/rack/" + name + "/releases"}
	srv := httptest.NewServer(api.New(api.Config{
		Apps:       r.apps,
		Builds:     r.builds,
		Releases:   releases,
		Promotions: r.promotions,
		Services:   services,
		Processes:  service.NewProcesses(core, services, r.tasks),
		Logs:       r.appLogs,
		System:     service.NewStackSystem(rack.System{Name: name, Region: "us-east-1", Version: "1.2.3", Domain: "api.example.org"}, r.stack),
		Auth:       fake.Auth{Password: testPassword},
		Version:    "1.2.3",
	}))
	t.Cleanup(srv.Close)
	r.url, r.close = srv.URL, srv.Close
	return r
}

// term runs convox commands with a private settings directory.
type term struct {
	t      *testing.T
	rack   *rackServer
	config string
	env    map[string]string
	// onSleep runs when --wait pauses between checks.
	onSleep func()
	// editorFn, when set, stands for the editor.
	editorFn func(editor, file string) error
}

func newTerm(t *testing.T, r *rackServer) *term {
	return &term{t: t, rack: r, config: t.TempDir(), env: map[string]string{}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (tm *term) run(stdin string, args ...string) result {
	tm.t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"CONVOX_CONFIG": tm.config}
	for k, v := range tm.env {
		env[k] = v
	}
	io := &cliIO{
		stdin: strings.NewReader(stdin), stdinIsTTY: stdin == "",
		stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
		now:    func() time.Time { return tm.rack.clock.Now().Add(2 * time.Minute) },
		http:   http.DefaultClient,
		sleep: func(time.Duration) {
			if tm.onSleep != nil {
				tm.onSleep()
			}
		},
		home: func() (string, error) { return "", fmt.Errorf("no home in tests") },
		editor: func(editor, file string) error {
			if tm.editorFn != nil {
				return tm.editorFn(editor, file)
			}
			return exec.Command("sh", "-c", editor+` "$1"`, "editor", file).Run()
		},
		companion: func() (string, error) { return "", fmt.Errorf("no convox-aws in these tests") },
	}
	code := run(args, io)
	return result{code, stdout.String(), stderr.String()}
}

// ok runs a command that must succeed with exactly this output.
func (tm *term) ok(stdin string, args []string, stdout, stderr string) {
	tm.t.Helper()
	res := tm.run(stdin, args...)
	require.Equal(tm.t, result{0, stdout, stderr}, res, "convox %s", strings.Join(args, " "))
}

func (tm *term) login() {
	tm.t.Helper()
	tm.ok("", []string{"login", tm.rack.url, "-p", testPassword}, "Authenticating with "+tm.rack.url+"... OK\n", "")
}

// loggedIn is a term logged in to a new rack "dev"; with app, that app is
// created there too.
func loggedIn(t *testing.T, app string) (*rackServer, *term) {
	t.Helper()
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.login()
	if app != "" {
		tm.ok("", []string{"apps", "create", app}, "Creating "+app+"... OK\n", "")
	}
	return r, tm
}

// fails runs a command that must fail with exactly this output.
func (tm *term) fails(stdin string, args []string, stdout, stderr string) {
	tm.t.Helper()
	res := tm.run(stdin, args...)
	require.Equal(tm.t, result{exitError, stdout, stderr}, res, "convox %s", strings.Join(args, " "))
}

// lines joins lines, each ended by a newline.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestVersionHelpAndErrors(t *testing.T) {
	version = "1.2.3"
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.ok("", []string{"version"}, "client: 1.2.3\nserver: none\n", "")
	tm.ok("", []string{"-v"}, "1.2.3\n", "")
	tm.ok("", []string{"--version"}, "1.2.3\n", "")
	tm.login()
	tm.ok("", []string{"version"}, "client: 1.2.3\nserver: 1.2.3 ("+strings.TrimPrefix(r.url, "http://")+")\n", "")

	help := tm.run("")
	require.Equal(t, exitOK, help.code)
	require.Empty(t, help.stderr)
	require.Contains(t, help.stdout, "\nconvox apps create        create an app\n")
	require.Contains(t, help.stdout, "\nconvox rack params set    set rack parameters\n")
	require.True(t, strings.HasPrefix(help.stdout, "convox api get            query the rack api\n"), help.stdout)
	require.NotContains(t, help.stdout, "completion")
	tm.ok("", []string{"help"}, help.stdout, "")
	tm.ok("", []string{"apps", "delete", "--help"}, lines(
		"USAGE",
		"  convox apps delete <app>",
		"",
		"DESCRIPTION",
		"  delete an app",
		"",
		"OPTIONS",
		"  --rack <rack>  -r  rack name",
		"  --wait         -w  wait for completion",
	), "")
	// Convox shows help for a command it does not know; so does Rack, but
	// a typo in a script fails.
	tm.fails("", []string{"bogus"}, help.stdout, "ERROR: unknown command: bogus\n")

	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"version", "x"}, "ERROR: 0 args required\n"},
		{[]string{"help", "a", "b"}, "ERROR: no more than 1 arg expected\n"},
		{[]string{"--nope"}, "ERROR: unknown flag: --nope\n"},
		{[]string{"apps", "-x"}, "ERROR: unknown flag: -x\n"},
		{[]string{"apps", "delete"}, "ERROR: 1 arg required\n"},
		{[]string{"apps", "info", "a", "b"}, "ERROR: no more than 1 arg expected\n"},
		{[]string{"env", "unset", "-a", "x"}, "ERROR: at least 1 arg required\n"},
		{[]string{"env", "set", "NOEQUALS", "-a", "x"}, "ERROR: \"NOEQUALS\" is not KEY=VALUE\n"},
		{[]string{"rack", "params", "set", "NOEQUALS"}, "ERROR: Key=Value expected: NOEQUALS\n"},
		{[]string{"builds", "--limit", "0"}, "ERROR: --limit must be at least 1\n"},
	} {
		tm.fails("", c.args, "", c.stderr)
	}
}

func TestLogin(t *testing.T) {
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.fails("", []string{"apps"}, "", "ERROR: no racks found, try `convox login`\n")
	tm.fails("", []string{"login"}, "", "ERROR: no host: convox login HOSTNAME\n")
	tm.fails("", []string{"login", r.url, "-p", "wrong"}, "Authenticating with "+r.url+"... ", "ERROR: invalid login\n")
	_, err := os.Stat(filepath.Join(tm.config, "auth"))
	require.True(t, os.IsNotExist(err), "a failed login saves nothing")

	// The password from stdin, as a pipe gives it.
	tm.ok(testPassword+"\n", []string{"login", r.url}, "Authenticating with "+r.url+"... OK\n", "")
	fi, err := os.Stat(filepath.Join(tm.config, "auth"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	for file, want := range map[string]string{
		"auth":         fmt.Sprintf("{\n  %q: %q\n}", r.url, testPassword),
		"host":         r.url,
		"self-managed": fmt.Sprintf("{\n  \"dev\": %q\n}", r.url),
		"racks":        fmt.Sprintf("{\n  %q: \"dev\"\n}", r.url),
	} {
		data, err := os.ReadFile(filepath.Join(tm.config, file))
		require.NoError(t, err)
		require.Equal(t, want, string(data), file)
	}
	// Logging in again needs neither host nor password: the current rack's.
	tm.ok("", []string{"login"}, "Authenticating with "+r.url+"... OK\n", "")

	tm.ok("", []string{"rack"}, lines(
		"Name      dev",
		"Provider  aws",
		"Region    us-east-1",
		"Router    api.example.org",
		"Status    running",
		"Version   1.2.3",
	), "")
	tm.ok("", []string{"rack", "-r", "dev", "--json"}, `{
  "name": "dev",
  "provider": "aws",
  "region": "us-east-1",
  "status": "running",
  "version": "1.2.3",
  "count": 0,
  "domain": "api.example.org",
  "outputs": {
    "ApiUrl": "https://api.example.org"
  },
  "parameters": {
    "Architecture": "arm64",
    "InstanceCount": "0",
    "Password": "****",
    "Version": "1.2.3"
  },
  "stackStatus": "CREATE_COMPLETE"
}
`, "")

	tm.ok("", []string{"logout"}, "Logged out of "+r.url+"\n", "")
	tm.fails("", []string{"apps"}, "", "ERROR: no racks found, try `convox login`\n")
}

func TestRacksAndSwitch(t *testing.T) {
	dev, prod := newRackServer(t), newNamedRack(t, "production")
	tm := newTerm(t, dev)
	tm.ok("", []string{"racks"}, "NAME  STATUS\n", "")
	tm.fails("", []string{"switch"}, "", "ERROR: no racks found, try `convox login`\n")
	tm.ok("", []string{"login", prod.url, "-p", testPassword}, "Authenticating with "+prod.url+"... OK\n", "")
	tm.login()
	tm.ok("", []string{"racks"}, lines(
		"NAME        STATUS",
		"dev         running",
		"production  running",
	), "")
	tm.ok("", []string{"switch"}, "dev\n", "")
	tm.ok("", []string{"switch", "production"}, "Switched to production\n", "")
	tm.ok("", []string{"switch"}, "production\n", "")
	tm.ok("", []string{"rack"}, lines(
		"Name      production",
		"Provider  aws",
		"Region    us-east-1",
		"Router    api.example.org",
		"Status    running",
		"Version   1.2.3",
	), "")
	// A part of a name is enough when it names one rack, as in Convox.
	tm.ok("", []string{"switch", "de"}, "Switched to dev\n", "")
	tm.fails("", []string{"switch", "nope"}, "", "ERROR: could not find rack: nope\n")
	tm.fails("", []string{"switch", "d"}, "", "ERROR: ambiguous rack name: d\n")

	// A rack that does not answer is listed as unknown.
	prod.close()
	tm.ok("", []string{"racks"}, lines(
		"NAME        STATUS",
		"dev         running",
		"production  unknown",
	), "")
}

func TestRackSelection(t *testing.T) {
	dev, prod := newRackServer(t), newNamedRack(t, "production")
	tm := newTerm(t, dev)
	tm.ok("", []string{"login", prod.url, "-p", testPassword}, "Authenticating with "+prod.url+"... OK\n", "")
	tm.login() // dev is current
	name := func(args ...string) string {
		t.Helper()
		res := tm.run("", append([]string{"rack", "--json"}, args...)...)
		require.Equal(t, exitOK, res.code, res.stderr)
		var sys map[string]any
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &sys))
		return sys["name"].(string)
	}
	require.Equal(t, "dev", name())
	require.Equal(t, "production", name("-r", "production"))
	require.Equal(t, "production", name("--rack", prod.url))

	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.MkdirAll(".convox", 0o755))
	require.NoError(t, os.WriteFile(".convox/rack", []byte("production\n"), 0o644))
	require.Equal(t, "production", name())
	tm.env["CONVOX_RACK"] = "dev"
	require.Equal(t, "dev", name())
	require.Equal(t, "production", name("-r", "production"))
	delete(tm.env, "CONVOX_RACK")
	require.NoError(t, os.Remove(".convox/rack"))

	// CONVOX_HOST and CONVOX_PASSWORD name a rack without settings.
	tm.env["CONVOX_HOST"] = prod.url
	require.Equal(t, "production", name())
	tm.env["CONVOX_PASSWORD"] = "wrong"
	tm.fails("", []string{"apps"}, "", "ERROR: invalid credentials (run `convox login` again)\n")
	delete(tm.env, "CONVOX_HOST")
	delete(tm.env, "CONVOX_PASSWORD")

	// RACK_URL overrides everything, as in Convox.
	u := strings.Replace(prod.url, "http://", "http://convox:"+testPassword+"@", 1)
	tm.env["RACK_URL"] = u
	require.Equal(t, "production", name("-r", "dev"))
	tm.env["RACK_URL"] = "http://" + strings.TrimPrefix(prod.url, "http://")
	tm.fails("", []string{"apps"}, "", "ERROR: invalid credentials (run `convox login` again)\n")
	tm.env["RACK_URL"] = "::"
	tm.fails("", []string{"apps"}, "", "ERROR: RACK_URL: \"::\" is not https://convox:PASSWORD@host\n")
}

func TestAppFromProjectDirectory(t *testing.T) {
	_, tm := loggedIn(t, "myapp")
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAB\n", "")

	dir := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".convox"), 0o755))
	t.Chdir(dir)
	// The directory's name, when nothing else names the app.
	tm.fails("", []string{"env"}, "", "ERROR: app not found: checkout\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".convox", "app"), []byte("myapp\n"), 0o644))
	tm.ok("", []string{"env"}, "A=1\n", "")
	tm.ok("", []string{"apps", "info"}, lines(
		"Name        myapp",
		"Status      creating",
		"Generation  2",
		"Locked      false",
		"Release     ",
	), "")
	tm.fails("", []string{"env", "-a", "other"}, "", "ERROR: app not found: other\n")
}

func TestApps(t *testing.T) {
	r, tm := loggedIn(t, "")
	tm.onSleep = r.settle

	tm.ok("", []string{"apps"}, "APP  STATUS  RELEASE\n", "")
	tm.ok("", []string{"apps", "create", "myapp", "--wait"}, "Creating myapp... OK\n", "")
	tm.ok("", []string{"apps", "create", "other", "-w"}, "Creating other... OK\n", "")
	tm.fails("", []string{"apps", "create", "old", "-g", "1"}, "", "ERROR: generation 1 apps are not supported: a Rack app is generation 2 (convox.yml)\n")
	tm.ok("", []string{"apps"}, lines(
		"APP    STATUS   RELEASE",
		"myapp  running  ",
		"other  running  ",
	), "")
	tm.ok("", []string{"apps", "info", "myapp"}, lines(
		"Name        myapp",
		"Status      running",
		"Generation  2",
		"Locked      false",
		"Release     ",
	), "")
	res := tm.run("", "apps", "--json")
	require.Equal(t, exitOK, res.code)
	var apps []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &apps))
	require.Equal(t, "myapp", apps[0]["name"])
	require.Equal(t, "2", apps[0]["generation"])

	tm.fails("", []string{"apps", "create", "myapp"}, "Creating myapp... ", "ERROR: app myapp already exists\n")
	tm.ok("", []string{"apps", "delete", "other", "--wait"}, "Deleting other... OK\n", "")
	tm.fails("", []string{"apps", "delete", "other"}, "Deleting other... ", "ERROR: app not found: other\n")
}

func TestEnv(t *testing.T) {
	_, tm := loggedIn(t, "myapp")

	tm.ok("", []string{"env", "-a", "myapp"}, "\n", "")
	tm.ok("", []string{"env", "set", "B=x=y", "A=1", "-a", "myapp"}, "Setting A, B... OK\nRelease: RAAAAAAAAAB\n", "")
	tm.ok("", []string{"env", "-a", "myapp"}, "A=1\nB=x=y\n", "")
	tm.ok("", []string{"env", "get", "B", "-a", "myapp"}, "x=y\n", "")
	tm.fails("", []string{"env", "get", "NOPE", "-a", "myapp"}, "", "ERROR: env not found: NOPE\n")
	tm.ok("C=3\n# a comment\n\nD=multi=equals\n", []string{"env", "set", "-a", "myapp"}, "Setting C, D... OK\nRelease: RAAAAAAAAAC\n", "")
	// --id: progress on stderr, the release id alone on stdout.
	tm.ok("", []string{"env", "unset", "A", "-a", "myapp", "--id"}, "RAAAAAAAAAD", "Unsetting A... OK\nRelease: RAAAAAAAAAD\n")
	// Unsetting what is not set still makes a release, as in Convox.
	tm.ok("", []string{"env", "unset", "NOPE", "-a", "myapp"}, "Unsetting NOPE... OK\nRelease: RAAAAAAAAAE\n", "")
	tm.ok("", []string{"env", "-a", "myapp", "--json"}, "{\n  \"B\": \"x=y\",\n  \"C\": \"3\",\n  \"D\": \"multi=equals\"\n}\n", "")
	tm.ok("", []string{"env", "set", "ONLY=1", "--replace", "-a", "myapp"}, "Setting ONLY... OK\nRelease: RAAAAAAAAAF\n", "")
	tm.ok("", []string{"env", "-a", "myapp"}, "ONLY=1\n", "")
	tm.fails("", []string{"env", "set", "-a", "myapp"}, "", "ERROR: nothing to set: give KEY=VALUE arguments or lines on stdin\n")
	tm.fails("", []string{"env", "-a", "nope"}, "", "ERROR: app not found: nope\n")

	tm.ok("", []string{"api", "get", "/apps/myapp/environment"}, "{\n  \"ONLY\": \"1\"\n}\n", "")
}

func TestEnvEdit(t *testing.T) {
	r, tm := loggedIn(t, "web")
	tm.ok("", []string{"env", "set", "A=1", "-a", "web"}, "Setting A... OK\nRelease: RAAAAAAAAAB\n", "")
	multi := map[string]string{"A": "1", "KEY": "line one\nline two"}
	_, err := r.store.CreateRelease(context.Background(), rack.Release{App: "web", ID: "RAAAAAAAAAZ", Parent: "RAAAAAAAAAB", Status: rack.ReleaseCreated, Env: sealed(t, multi)})
	require.NoError(t, err)
	r.clock.Advance(time.Second)

	// An editor that rewrites A and keeps the quoted multi-line value; the
	// file is named after the app, as Convox names it.
	tm.env["EDITOR"] = `f() { case "$1" in */web.env) sed -i -e 's/^A=1$/A=2/' "$1";; *) exit 3;; esac; }; f`
	tm.ok("", []string{"env", "edit", "-a", "web"}, "Setting A, KEY... OK\nRelease: RAAAAAAAAAC\n", "")
	res := tm.run("", "env", "-a", "web", "--json")
	require.JSONEq(t, `{"A":"2","KEY":"line one\nline two"}`, res.stdout)

	tm.env["EDITOR"] = "false"
	tm.fails("", []string{"env", "edit", "-a", "web"}, "", "ERROR: env edit: false: exit status 1\n")
	// Without $EDITOR, vi, as Convox does.
	delete(tm.env, "EDITOR")
	var used string
	tm.editorFn = func(editor, _ string) error { used = editor; return nil }
	tm.ok("", []string{"env", "edit", "-a", "web"}, "Setting A, KEY... OK\nRelease: RAAAAAAAAAD\n", "")
	require.Equal(t, "vi", used)
}

func TestBuildsAndReleases(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	tm.ok("", []string{"builds", "-a", "myapp"}, "ID  STATUS  RELEASE  STARTED  ELAPSED  DESCRIPTION\n", "")
	tm.ok("", []string{"releases", "-a", "myapp"}, "ID  STATUS  BUILD  CREATED  DESCRIPTION\n", "")

	ctx := context.Background()
	start := r.clock.Now()
	for i := range 12 {
		b := rack.Build{App: "myapp", ID: storetest.ID("B", i), Status: rack.BuildCreated, Description: fmt.Sprintf("build %d", i)}
		_, err := r.store.CreateBuild(ctx, b)
		require.NoError(t, err)
		r.clock.Advance(time.Second)
	}
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAB\n", "")
	for i := range 11 {
		parent := "RAAAAAAAAAB" // env set's
		if i > 0 {
			parent = storetest.ID("R", 1000+i-1)
		}
		_, err := r.store.CreateRelease(ctx, rack.Release{App: "myapp", ID: storetest.ID("R", 1000+i), Parent: parent, Status: rack.ReleaseCreated, Env: sealed(t, map[string]string{})})
		require.NoError(t, err)
		r.clock.Advance(time.Second)
	}
	res := tm.run("", "builds", "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	got := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	require.Len(t, got, 11, "the header and the newest 10")
	require.Equal(t, "ID           STATUS   RELEASE  STARTED  ELAPSED  DESCRIPTION", got[0])
	require.Equal(t, "BAAAAAAAAAL  created                             build 11", got[1])
	require.Len(t, strings.Split(strings.TrimSuffix(tm.run("", "builds", "-a", "myapp", "--limit", "3").stdout, "\n"), "\n"), 4)
	// STATUS: active for the app's release, Rack's failed, else blank.
	app, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	app.Status, app.Release = rack.AppRunning, storetest.ID("R", 1009)
	_, err = r.store.UpdateApp(ctx, app, rack.AppCreating)
	require.NoError(t, err)
	failed, err := r.store.GetRelease(ctx, "myapp", storetest.ID("R", 1008))
	require.NoError(t, err)
	failed.Status = rack.ReleasePromoting
	failed, err = r.store.UpdateRelease(ctx, failed, rack.ReleaseCreated)
	require.NoError(t, err)
	failed.Status = rack.ReleaseFailed
	_, err = r.store.UpdateRelease(ctx, failed, rack.ReleasePromoting)
	require.NoError(t, err)
	tm.ok("", []string{"releases", "-a", "myapp", "-l", "3"}, lines(
		"ID           STATUS  BUILD  CREATED        DESCRIPTION",
		"RAAAAAAABMW                 2 minutes ago  ",
		"RAAAAAAABMV  active         2 minutes ago  ",
		"RAAAAAAABMU  failed         2 minutes ago  ",
	), "")
	require.Len(t, strings.Split(strings.TrimSuffix(tm.run("", "releases", "-a", "myapp").stdout, "\n"), "\n"), 11)
	require.Len(t, strings.Split(strings.TrimSuffix(tm.run("", "releases", "-a", "myapp", "--limit", "20").stdout, "\n"), "\n"), 13)

	// A build that ran: when it started, and how long it took.
	started, ended := start.Add(-time.Hour), start.Add(-time.Hour+125*time.Second)
	b, err := r.store.GetBuild(ctx, "myapp", "BAAAAAAAAAL")
	require.NoError(t, err)
	b.Status, b.Started, b.Ended, b.Release = rack.BuildRunning, started, time.Time{}, ""
	b, err = r.store.UpdateBuild(ctx, b, rack.BuildCreated)
	require.NoError(t, err)
	b.Status, b.Ended, b.Release = rack.BuildComplete, ended, "RAAAAAAAAAB"
	_, err = r.store.UpdateBuild(ctx, b, rack.BuildRunning)
	require.NoError(t, err)
	tm.ok("", []string{"builds", "-a", "myapp", "--limit", "1"}, lines(
		"ID           STATUS    RELEASE      STARTED     ELAPSED  DESCRIPTION",
		"BAAAAAAAAAL  complete  RAAAAAAAAAB  1 hour ago  2m5s     build 11",
	), "")
	tm.ok("", []string{"builds", "info", "BAAAAAAAAAL", "-a", "myapp"}, lines(
		"Id           BAAAAAAAAAL",
		"Status       complete",
		"Release      RAAAAAAAAAB",
		"Description  build 11",
		"Started      1 hour ago",
		"Elapsed      2m5s",
	), "")
	tm.fails("", []string{"builds", "info", "BNOPE", "-a", "myapp"}, "", "ERROR: build not found: BNOPE\n")

	tm.ok("", []string{"releases", "info", "RAAAAAAAAAB", "-a", "myapp"}, lines(
		"Id           RAAAAAAAAAB",
		"Build        ",
		"Created      "+start.Add(12*time.Second).UTC().Format(time.RFC3339),
		"Description  env add:A",
		"Status       created",
		"Env          A=1",
	), "")
	tm.fails("", []string{"releases", "info", "RZZZZZZZZZZ", "-a", "myapp"}, "", "ERROR: release not found: RZZZZZZZZZZ\n")
}

func TestRackParamsAndUpdate(t *testing.T) {
	version = "1.2.3"
	r, tm := loggedIn(t, "")
	tm.ok("", []string{"rack", "params"}, lines(
		"Architecture   arm64",
		"InstanceCount  0",
		"Password       ****",
		"Version        1.2.3",
	), "")

	tm.ok("", []string{"rack", "params", "set", "InstanceCount=2"}, "Updating parameters... OK\n", "")
	require.Len(t, r.stack.Updates, 1)
	require.Equal(t, map[string]string{"InstanceCount": "2"}, r.stack.Updates[0].Values)
	res := tm.run("", "rack", "params", "set", "InstanceCount=3")
	require.Equal(t, exitError, res.code)
	require.Equal(t, "Updating parameters... ", res.stdout)
	require.Regexp(t, `^ERROR: .*UPDATE_IN_PROGRESS`, res.stderr)

	// --wait: the change set where Convox shows the rack's logs, then OK
	// once the stack has settled with the change.
	r.stack.Settle()
	tm.onSleep = r.stack.Settle
	tm.ok("", []string{"rack", "params", "set", "InstanceCount=3", "--wait"}, lines(
		"Updating parameters... ",
		"Modify Api (AWS::Lambda::Function)",
		"OK",
	), "")
	tm.ok("", []string{"rack", "params", "--json"}, "{\n  \"Architecture\": \"arm64\",\n  \"InstanceCount\": \"3\",\n  \"Password\": \"****\",\n  \"Version\": \"1.2.3\"\n}\n", "")
	// Nothing to change: no change set, no wait.
	tm.ok("", []string{"rack", "params", "set", "InstanceCount=3", "-w"}, "Updating parameters... \nOK\n", "")

	// A change CloudFormation rolls back fails with its reason.
	tm.onSleep = func() { r.stack.RollBack("Resource handler returned message: quota exceeded") }
	tm.fails("", []string{"rack", "params", "set", "InstanceCount=9", "--wait"}, lines(
		"Updating parameters... ",
		"Modify Api (AWS::Lambda::Function)",
	), "ERROR: rack update failed: UPDATE_ROLLBACK_COMPLETE Resource handler returned message: quota exceeded\n")

	// A rollback under way fails at once, with the reason CloudFormation
	// gives then.
	tm.onSleep = func() {
		r.stack.SetStatus("UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Api]")
	}
	tm.fails("", []string{"rack", "params", "set", "InstanceCount=8", "--wait"}, lines(
		"Updating parameters... ",
		"Modify Api (AWS::Lambda::Function)",
	), "ERROR: rack update failed: UPDATE_ROLLBACK_IN_PROGRESS The following resource(s) failed to update: [Api]\n")
	r.stack.SetStatus("UPDATE_ROLLBACK_COMPLETE", "")

	// rack update: to the version given, else this client's.
	tm.onSleep = r.stack.Settle
	res = tm.run("", "rack", "update", "2.0.0")
	require.Equal(t, exitError, res.code)
	require.Equal(t, "Updating to 2.0.0... ", res.stdout)
	require.Contains(t, res.stderr, "2.0.0")
	declared := map[string]string{"Version": "", "Architecture": "arm64", "InstanceCount": "0", "Password": ""}
	r.stack.Upload("2.0.0", "arm64", declared)
	tm.ok("", []string{"rack", "update", "2.0.0", "--wait"}, lines(
		"Updating to 2.0.0... ",
		"Modify Api (AWS::Lambda::Function)",
		"OK",
	), "")
	tm.ok("", []string{"version"}, "client: 1.2.3\nserver: 2.0.0 ("+strings.TrimPrefix(r.url, "http://")+")\n", "")
	r.stack.Upload("1.2.3", "arm64", declared)
	tm.ok("", []string{"rack", "update"}, "Updating to 1.2.3... OK\n", "")
	require.Equal(t, "1.2.3", r.stack.Updates[len(r.stack.Updates)-1].Values["Version"])
}

func TestRackInstallAndUninstallChecks(t *testing.T) {
	tm := newTerm(t, newRackServer(t))
	t.Chdir(t.TempDir())
	tm.fails("", []string{"rack", "install", "aws", "-n", "r1"}, "", "ERROR: no rack template and code found: give --template FILE and --code DIR, "+
		"or run this from a Rack source tree after `make build synth` (it writes infra/cdk.out/Rack.template.json and dist/lambda/arm64); published versions are not available yet\n")
	tm.fails("", []string{"rack", "install", "gcp", "A=1"}, "", "ERROR: unknown rack type: gcp (Rack installs on aws)\n")
	tm.fails("", []string{"rack", "install", "aws", "NOEQUALS", "x"}, "", "ERROR: Key=Value expected: NOEQUALS\n")
	tm.fails("", []string{"rack", "install", "--arch", "sparc"}, "", "ERROR: --arch must be arm64 or x86_64\n")
	// Without a terminal, uninstall refuses unless --force, before anything.
	tm.fails("not a terminal", []string{"rack", "uninstall", "aws", "r1"}, "", "ERROR: must use --force for non-interactive uninstall\n")
	tm.fails("not a terminal", []string{"rack", "uninstall", "r1"}, "", "ERROR: must use --force for non-interactive uninstall\n")
	tm.fails("", []string{"rack", "uninstall"}, "", "ERROR: 1 arg required: the rack's name\n")
	tm.fails("", []string{"rack", "uninstall", "gcp", "r1"}, "", "ERROR: unknown rack type: gcp (Rack installs on aws)\n")
}

func TestAges(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		0: "now", 500 * time.Millisecond: "now", time.Second: "1 second ago", 45 * time.Second: "45 seconds ago",
		time.Minute: "1 minute ago", 2 * time.Minute: "2 minutes ago", time.Hour: "1 hour ago", 5 * time.Hour: "5 hours ago",
		1999 * time.Millisecond: "1 second ago", 59 * time.Second: "59 seconds ago", 119 * time.Second: "1 minute ago",
		24 * time.Hour: "1 day ago", 3 * 24 * time.Hour: "3 days ago", 8 * 24 * time.Hour: "1 week ago",
		15 * 24 * time.Hour: "2 weeks ago", 30 * 24 * time.Hour: "1 month ago", 100 * 24 * time.Hour: "3 months ago",
		360 * 24 * time.Hour: "1 year ago", 540 * 24 * time.Hour: "2 years ago", 5 * 360 * 24 * time.Hour: "5 years ago",
		37 * 360 * 24 * time.Hour: "a long while ago",
		-time.Minute:              "1 minute from now", -3 * time.Hour: "3 hours from now",
	} {
		require.Equal(t, want, ago(now, now.Add(-d)), "%s", d)
	}
	require.Equal(t, "", ago(now, time.Time{}))
	require.Equal(t, "", elapsed(now, time.Time{}))
	require.Equal(t, "59s", elapsed(now, now.Add(59*time.Second)))
	require.Equal(t, "1m0s", elapsed(now, now.Add(time.Minute)))
}

// sealed seals env as the service does, with the fake sealer.
func sealed(t *testing.T, env map[string]string) []byte {
	plain, err := json.Marshal(env)
	require.NoError(t, err)
	out, err := fake.Sealer{}.Seal(context.Background(), plain)
	require.NoError(t, err)
	return out
}
