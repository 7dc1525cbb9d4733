package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	store  *memstore.Store
	stacks *fake.Stacks
	clock  *storetest.Clock
	apps   *service.Apps
}

// settle finishes every stack change under way and runs the sweep, as the
// stack events and the releases function would.
func (r *rackServer) settle() {
	r.stacks.Settle()
	if err := r.apps.ReconcileApps(context.Background()); err != nil {
		panic(err)
	}
}

func newRackServer(t *testing.T) *rackServer {
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
	core := service.NewCore(service.CoreConfig{Rack: "dev", NewID: ids, Now: clock.Now})
	r.apps = service.NewApps(core, r.store, r.stacks)
	srv := httptest.NewServer(api.New(api.Config{
		Apps:     r.apps,
		Builds:   service.NewBuilds(core, r.store),
		Releases: service.NewReleases(core, r.store, fake.Sealer{}),
		System:   service.NewSystem(rack.System{Name: "dev", Region: "us-east-1", Version: "1.2.3", Domain: "api.example.org"}),
		Auth:     fake.Auth{Password: testPassword},
		Version:  "1.2.3",
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
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
	tm.ok("", []string{"login", tm.rack.url, "-p", testPassword}, "", "Authenticating with "+tm.rack.url+"... OK\n")
}

func TestVersionAndUsage(t *testing.T) {
	version = "1.2.3"
	tm := newTerm(t, newRackServer(t))
	tm.ok("", []string{"version"}, "client: 1.2.3\n", "")
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"bogus"}, "ERROR: unknown command \"bogus\" for \"convox\"\n"},
		{[]string{"version", "x"}, "ERROR: unknown command \"x\" for \"convox version\"\n"},
		{[]string{"--nope"}, "ERROR: unknown flag: --nope\n"},
		{[]string{"apps", "delete"}, "ERROR: accepts 1 arg(s), received 0\n"},
		{[]string{"env", "set", "NOEQUALS", "-a", "x"}, "ERROR: \"NOEQUALS\" is not KEY=VALUE\n"},
		{[]string{"env", "unset", "-a", "x"}, "ERROR: requires at least 1 arg(s), only received 0\n"},
	} {
		require.Equal(t, result{exitUsage, "", c.stderr}, tm.run("", c.args...), "convox %v", c.args)
	}
	res := tm.run("", "--help")
	require.Equal(t, exitOK, res.code)
	for _, cmd := range []string{"login", "logout", "rack", "apps", "env", "releases", "builds", "api", "version", "completion"} {
		require.Contains(t, res.stdout, "\n  "+cmd+" ", "help lists %s", cmd)
	}
}

func TestNotLoggedIn(t *testing.T) {
	tm := newTerm(t, newRackServer(t))
	require.Equal(t, result{exitError, "", "ERROR: no rack selected: run `convox login HOST` or set CONVOX_HOST\n"}, tm.run("", "apps"))
}

func TestLogin(t *testing.T) {
	r := newRackServer(t)
	tm := newTerm(t, r)
	res := tm.run("", "login", r.url, "-p", "wrong")
	require.Equal(t, result{exitError, "", "Authenticating with " + r.url + "... FAILED\nERROR: login " + r.url + ": invalid password\n"}, res)
	_, err := os.Stat(filepath.Join(tm.config, "auth"))
	require.True(t, os.IsNotExist(err), "a failed login saves nothing")

	// The password from stdin, as a pipe gives it.
	tm.ok(testPassword+"\n", []string{"login", r.url}, "", "Authenticating with "+r.url+"... OK\n")
	fi, err := os.Stat(filepath.Join(tm.config, "auth"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(filepath.Join(tm.config, "auth"))
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{%q: %q}`, r.url, testPassword), string(data))

	tm.ok("", []string{"rack"}, "Name      dev\nProvider  aws\nRegion    us-east-1\nRouter    api.example.org\nStatus    running\nVersion   1.2.3\nCount     0\nType\n", "")
	// -r takes the rack's name as well as its host.
	tm.ok("", []string{"rack", "-r", "dev", "--json"}, `{
  "name": "dev",
  "provider": "aws",
  "region": "us-east-1",
  "status": "running",
  "version": "1.2.3",
  "count": 0,
  "domain": "api.example.org"
}
`, "")

	tm.ok("", []string{"logout"}, "", "Logged out of "+r.url+"\n")
	require.Equal(t, exitError, tm.run("", "apps").code)
}

func TestEnvironmentVariablesOverSettings(t *testing.T) {
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.env["CONVOX_HOST"] = r.url
	tm.env["CONVOX_PASSWORD"] = testPassword
	tm.ok("", []string{"apps"}, "APP  STATUS  RELEASE\n", "")
	tm.env["CONVOX_PASSWORD"] = "wrong"
	require.Equal(t, result{exitError, "", "ERROR: invalid credentials (run `convox login` again)\n"}, tm.run("", "apps"))
}

func TestAppsEnvReleases(t *testing.T) {
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.login()
	tm.onSleep = r.settle

	tm.ok("", []string{"apps", "create", "myapp", "--wait"}, "", "Creating myapp... OK\n")
	tm.ok("", []string{"apps"}, "APP    STATUS   RELEASE\nmyapp  running\n", "")
	tm.ok("", []string{"apps", "info", "-a", "myapp"}, "Name     myapp\nStatus   running\nRelease\n", "")
	res := tm.run("", "apps", "--json")
	require.Equal(t, exitOK, res.code)
	var apps []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &apps))
	require.Equal(t, "myapp", apps[0]["name"])

	res = tm.run("", "apps", "create", "myapp")
	require.Equal(t, result{exitError, "", "Creating myapp... FAILED\nERROR: app myapp already exists\n"}, res)

	tm.ok("", []string{"env", "set", "A=1", "B=x=y", "-a", "myapp"}, "Release: RAAAAAAAAAB\n", "Setting A, B... OK\n")
	tm.ok("", []string{"env", "-a", "myapp"}, "A=1\nB=x=y\n", "")
	tm.ok("", []string{"env", "get", "B", "-a", "myapp"}, "x=y\n", "")
	tm.ok("C=3\n# a comment\n\nD=multi=equals\n", []string{"env", "set", "-a", "myapp"}, "Release: RAAAAAAAAAC\n", "Setting C, D... OK\n")
	tm.ok("", []string{"env", "unset", "A", "-a", "myapp"}, "Release: RAAAAAAAAAD\n", "Unsetting A... OK\n")
	tm.ok("", []string{"env", "-a", "myapp", "--json"}, "{\n  \"B\": \"x=y\",\n  \"C\": \"3\",\n  \"D\": \"multi=equals\"\n}\n", "")
	require.Equal(t, result{exitError, "", "ERROR: env A: not set on app myapp\n"}, tm.run("", "env", "get", "A", "-a", "myapp"))
	require.Equal(t, result{exitError, "", "ERROR: env A: not set on app myapp\n"}, tm.run("", "env", "unset", "A", "-a", "myapp"))
	tm.ok("", []string{"env", "set", "ONLY=1", "--replace", "-a", "myapp"}, "Release: RAAAAAAAAAE\n", "Setting ONLY... OK\n")

	tm.ok("", []string{"releases", "-a", "myapp"}, strings.Join([]string{
		"ID           STATUS   BUILD  CREATED        DESCRIPTION",
		"RAAAAAAAAAE  created         2 minutes ago  env add:ONLY remove:B,C,D",
		"RAAAAAAAAAD  created         2 minutes ago  env remove:A",
		"RAAAAAAAAAC  created         2 minutes ago  env add:C,D",
		"RAAAAAAAAAB  created         2 minutes ago  env add:A,B",
		"",
	}, "\n"), "")
	tm.ok("", []string{"releases", "info", "RAAAAAAAAAC", "-a", "myapp"}, strings.Join([]string{
		"Id           RAAAAAAAAAC",
		"Build",
		"Status       created",
		"Created      2026-11-02T03:04:05Z",
		"Description  env add:C,D",
		"Env          A=1",
		"             B=x=y",
		"             C=3",
		"             D=multi=equals",
		"",
	}, "\n"), "")
	require.Equal(t, result{exitError, "", "ERROR: release RZZZZZZZZZZ of app myapp not found\n"}, tm.run("", "releases", "info", "RZZZZZZZZZZ", "-a", "myapp"))

	tm.ok("", []string{"builds", "-a", "myapp"}, "ID  STATUS  RELEASE  STARTED  DESCRIPTION\n", "")
	_, err := r.store.CreateBuild(context.Background(), rack.Build{App: "myapp", ID: "BAAAAAAAAAZ", Status: rack.BuildCreated, Description: "first"})
	require.NoError(t, err)
	tm.ok("", []string{"builds", "-a", "myapp"}, "ID           STATUS   RELEASE  STARTED        DESCRIPTION\nBAAAAAAAAAZ  created           2 minutes ago  first\n", "")
	tm.ok("", []string{"builds", "info", "BAAAAAAAAAZ", "-a", "myapp"}, "Id           BAAAAAAAAAZ\nStatus       created\nRelease\nDescription  first\n", "")

	res = tm.run("", "api", "get", "/apps/myapp/environment")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.JSONEq(t, `{"ONLY":"1"}`, res.stdout)

	tm.ok("", []string{"apps", "delete", "myapp", "--wait"}, "", "Deleting myapp... OK\n")
	tm.ok("", []string{"apps"}, "APP  STATUS  RELEASE\n", "")
	require.Equal(t, result{exitError, "", "ERROR: app myapp not found\n"}, tm.run("", "env", "-a", "myapp"))
}

func TestEnvEdit(t *testing.T) {
	r := newRackServer(t)
	tm := newTerm(t, r)
	tm.login()
	tm.ok("", []string{"apps", "create", "web"}, "", "Creating web... OK\n")
	tm.ok("", []string{"env", "set", "A=1", "-a", "web"}, "Release: RAAAAAAAAAB\n", "Setting A... OK\n")
	multi := map[string]string{"A": "1", "KEY": "line one\nline two"}
	_, err := r.store.CreateRelease(context.Background(), rack.Release{App: "web", ID: "RAAAAAAAAAZ", Status: rack.ReleaseCreated, Env: sealed(t, multi)})
	require.NoError(t, err)
	r.clock.Advance(time.Second)

	// An editor that rewrites A and keeps the quoted multi-line value.
	tm.env["EDITOR"] = `sed -i -e 's/^A=1$/A=2/'`
	tm.ok("", []string{"env", "edit", "-a", "web"}, "Release: RAAAAAAAAAC\n", "Updating environment... OK\n")
	res := tm.run("", "env", "-a", "web", "--json")
	require.JSONEq(t, `{"A":"2","KEY":"line one\nline two"}`, res.stdout)

	tm.env["EDITOR"] = "true"
	tm.ok("", []string{"env", "edit", "-a", "web"}, "", "No changes\n")
}

// sealed seals env as the service does, with the fake sealer.
func sealed(t *testing.T, env map[string]string) []byte {
	plain, err := json.Marshal(env)
	require.NoError(t, err)
	out, err := fake.Sealer{}.Seal(context.Background(), plain)
	require.NoError(t, err)
	return out
}

func TestAPIHost(t *testing.T) {
	outputs := map[string]string{"ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com", "ApiId": "abc123"}
	require.Equal(t, "https://abc123.execute-api.eu-west-1.amazonaws.com", apiHost(aws.Config{}, outputs))
	endpoint := "http://127.0.0.1:4566/"
	require.Equal(t, "http://127.0.0.1:4566/_aws/execute-api/abc123/$default", apiHost(aws.Config{BaseEndpoint: &endpoint}, outputs))
}
