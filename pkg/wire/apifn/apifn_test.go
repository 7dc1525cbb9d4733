package apifn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/apifn"
	"github.com/rackhq/rack/pkg/wire/local"
)

const password = "emulator-password"

// onEmulator wires the API to fresh resources on the emulator, exactly as
// the api function does, with cfg's AWS configuration (the emulator's when
// empty), and returns it with its environment.
func onEmulator(t testing.TB, cfg aws.Config) (*api.Server, wire.Env) {
	t.Helper()
	if cfg.Region == "" {
		cfg = emulatortest.Config(t)
	}
	name := emulatortest.Name("r")
	env := wire.Env{Rack: name, Table: name, Key: "alias/" + name, Version: "test"}
	_, err := local.Prepare(context.Background(), env, emulatortest.Config(t), auth.Hasher{Cost: bcrypt.MinCost}, password)
	require.NoError(t, err)
	return apifn.NewServer(env, cfg, nil), env
}

// served serves an API on the emulator over HTTP, and returns its URL, a
// client with the password, and its environment.
func served(t *testing.T) (string, *sdk.Client, wire.Env) {
	t.Helper()
	server, env := onEmulator(t, aws.Config{})
	srv := httptest.NewServer(server)
	t.Cleanup(srv.Close)
	client, err := sdk.New(srv.URL, password)
	require.NoError(t, err)
	return srv.URL, client, env
}

func TestAPIOnTheEmulator(t *testing.T) {
	url, client, env := served(t)
	ctx := context.Background()

	bad, err := sdk.New(url, "another")
	require.NoError(t, err)
	_, err = bad.AppList(ctx)
	require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(err))

	app, err := client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "creating", app.Status)

	env1 := map[string]string{"A": "1", "B": "x=y", "SECRET": "hunter2\nline"}
	r, err := client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &env1})
	require.NoError(t, err)
	got, err := client.EnvironmentGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, env1, got)
	releases, err := client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, releases, 1)
	require.Equal(t, r.ID, releases[0].ID)

	// In DynamoDB the environment is KMS-sealed ciphertext.
	db := dynamodb.NewFromConfig(emulatortest.Config(t))
	stored, err := dynamo.New(db, env.Table, nil).GetRelease(ctx, "myapp", r.ID)
	require.NoError(t, err)
	require.NotContains(t, string(stored.Env), "hunter2")
	require.NotEmpty(t, stored.Env)

	// The emulator sends no stack events: the delete looks at the stack
	// itself, which the emulator finished creating at once.
	app, err = client.AppDelete(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "deleting", app.Status)
}

// counter counts the AWS operations a client makes: each operation once,
// however often the SDK retries its request.
type counter struct {
	mu  sync.Mutex
	ops []string
}

func (c *counter) add(cfg aws.Config) aws.Config {
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.ops = append(c.ops, awsmiddleware.GetServiceID(ctx)+"."+awsmiddleware.GetOperationName(ctx))
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
	return cfg
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

// TestReadsMakeOneCall: GET /apps and GET /apps/{app} make one AWS call
// each, a DynamoDB read, whatever the apps' stacks are doing, and write
// nothing. (A cold process also reads the password hash once per cache
// period; the first request pays it, and the test counts after it.)
func TestReadsMakeOneCall(t *testing.T) {
	calls := &counter{}
	server, env := onEmulator(t, calls.add(emulatortest.Config(t)))
	srv := httptest.NewServer(server)
	defer srv.Close()
	client, err := sdk.New(srv.URL, password)
	require.NoError(t, err)
	ctx := context.Background()

	// An app in every state, each with its stack as that state has it.
	store := dynamo.New(dynamodb.NewFromConfig(emulatortest.Config(t)), env.Table, nil)
	states := []rack.AppStatus{rack.AppCreating, rack.AppRunning, rack.AppUpdating, rack.AppFailed, rack.AppDeleting}
	for _, status := range states {
		name := "app-" + string(status)
		_, err := client.AppCreate(ctx, name)
		require.NoError(t, err)
		app, err := store.GetApp(ctx, name)
		require.NoError(t, err)
		for _, step := range map[rack.AppStatus][]rack.AppStatus{
			rack.AppRunning: {rack.AppRunning}, rack.AppUpdating: {rack.AppRunning, rack.AppUpdating},
			rack.AppFailed: {rack.AppFailed}, rack.AppDeleting: {rack.AppDeleting},
		}[status] {
			from := app.Status
			app.Status = step
			app, err = store.UpdateApp(ctx, app, from)
			require.NoError(t, err)
		}
	}
	// And one whose stack is gone without an event saying so.
	_, err = store.CreateApp(ctx, rack.App{Name: "app-no-stack", Status: rack.AppCreating})
	require.NoError(t, err)
	before, _, err := store.ListApps(ctx, rack.Page{})
	require.NoError(t, err)
	require.Len(t, before, len(states)+1)
	calls.take()

	for range 2 {
		apps, err := client.AppList(ctx)
		require.NoError(t, err)
		require.Len(t, apps, len(before))
		require.Equal(t, []string{"DynamoDB.Query"}, calls.take(), "GET /apps")
		for _, a := range before {
			got, err := client.AppGet(ctx, a.Name)
			require.NoError(t, err)
			require.Equal(t, string(a.Status), got.Status)
			require.Equal(t, []string{"DynamoDB.GetItem"}, calls.take(), "GET /apps/%s (%s)", a.Name, a.Status)
		}
	}
	after, _, err := store.ListApps(ctx, rack.Page{})
	require.NoError(t, err)
	require.Equal(t, before, after, "the reads wrote nothing")
}

// apiGatewayEvent is the recorded GET /apps event with our credentials.
func apiGatewayEvent(t testing.TB, pw string) events.APIGatewayV2HTTPRequest {
	data, err := os.ReadFile("testdata/apigw-v2-http-get-apps.json")
	require.NoError(t, err)
	var ev events.APIGatewayV2HTTPRequest
	require.NoError(t, json.Unmarshal(data, &ev))
	ev.Headers["authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("convox:"+pw))
	return ev
}

func TestLambdaAdapterServesAPIGatewayEvents(t *testing.T) {
	server, _ := onEmulator(t, aws.Config{})
	handler := apifn.Lambda(server)
	res, err := handler(context.Background(), apiGatewayEvent(t, password))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)
	require.JSONEq(t, `[]`, res.Body)
	require.Equal(t, "application/json", res.Headers["Content-Type"])
	require.NotEmpty(t, res.Headers["X-Request-Id"])

	res, err = handler(context.Background(), apiGatewayEvent(t, "wrong"))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.JSONEq(t, `{"error":"invalid credentials"}`, res.Body)
}

// TestFunctionFromLambdasEnvironment builds the api function from the
// environment the rack stack and Lambda give it, and serves a request on
// the emulator.
func TestFunctionFromLambdasEnvironment(t *testing.T) {
	endpoint := emulatortest.Endpoint(t)
	_, env := onEmulator(t, aws.Config{})
	vars := map[string]string{
		"RACK_NAME": env.Rack, "RACK_TABLE": env.Table, "RACK_KEY": env.Key,
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "token",
		"AWS_ENDPOINT_URL": endpoint,
	}
	handler, err := apifn.Function.Load(func(k string) string { return vars[k] }, nil)
	require.NoError(t, err)
	res, err := handler(context.Background(), apiGatewayEvent(t, password))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, res.Body)

	delete(vars, "RACK_KEY")
	_, err = apifn.Function.Load(func(k string) string { return vars[k] }, nil)
	require.EqualError(t, err, "configuration: RACK_KEY not set")
}

// BenchmarkGetAppsLambda measures GET /apps in process through the API
// Gateway adapter: router, JSON and cached auth over the in-memory store
// (the API's own cost), and over DynamoDB on the emulator.
func BenchmarkGetAppsLambda(b *testing.B) {
	ev := apiGatewayEvent(b, password)
	run := func(b *testing.B, server *api.Server) {
		handler := apifn.Lambda(server)
		ctx := context.Background()
		res, err := handler(ctx, ev) // the first call pays bcrypt once
		require.NoError(b, err)
		require.Equal(b, http.StatusOK, res.StatusCode, res.Body)
		b.ResetTimer()
		for b.Loop() {
			if res, err := handler(ctx, ev); err != nil || res.StatusCode != http.StatusOK {
				b.Fatalf("GET /apps: %v %d", err, res.StatusCode)
			}
		}
	}
	b.Run("memory", func(b *testing.B) {
		store := memstore.New(nil)
		for _, n := range []string{"api", "web", "worker"} {
			_, err := store.CreateApp(context.Background(), rack.App{Name: n, Status: rack.AppRunning})
			require.NoError(b, err)
		}
		hash, err := auth.Hasher{}.Hash(password)
		require.NoError(b, err)
		run(b, api.New(api.Config{
			Apps: service.NewApps(service.NewCore(service.CoreConfig{Rack: "bench"}), store, fake.NewStacks()),
			Auth: auth.NewVerifier(staticHash(hash)),
		}))
	})
	b.Run("emulator", func(b *testing.B) {
		server, _ := onEmulator(b, aws.Config{})
		run(b, server)
	})
}

// staticHash is a password hash kept in memory.
type staticHash []byte

func (h staticHash) PasswordHash(context.Context) ([]byte, error) { return h, nil }

// TestSystemOnTheEmulator: the API describes and updates its rack's own
// stack, the stack named as the rack; a local API, whose rack has no
// stack, still describes it (convox login reads it) and says why.
func TestSystemOnTheEmulator(t *testing.T) {
	_, client, env := served(t)
	ctx := context.Background()

	sys, err := client.System(ctx)
	require.NoError(t, err)
	require.Equal(t, env.Rack, sys.Name)
	require.Equal(t, "running", sys.Status)
	require.Equal(t, "test", sys.Version)
	require.Contains(t, sys.StatusReason, "has no CloudFormation stack named "+env.Rack)
	_, err = client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"Development": "Yes"}})
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)

	cf := cloudformation.NewFromConfig(emulatortest.Config(t))
	_, err = cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(env.Rack),
		TemplateBody: aws.String(`{"Parameters": {"Version": {"Type": "String"}, "Architecture": {"Type": "String"}, "Development": {"Type": "String"}},
		  "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/rack-test/${AWS::StackName}/${Development}"}}}}}`),
		Parameters: []cftypes.Parameter{
			{ParameterKey: aws.String("Version"), ParameterValue: aws.String("1.0.0")},
			{ParameterKey: aws.String("Architecture"), ParameterValue: aws.String("arm64")},
			{ParameterKey: aws.String("Development"), ParameterValue: aws.String("No")},
		},
	})
	emulatortest.Created(t, err)
	t.Cleanup(func() {
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(env.Rack)})
	})
	sys = waitSystem(t, client)
	require.Equal(t, "1.0.0", sys.Version, "the stack's version")
	require.Equal(t, "CREATE_COMPLETE", sys.StackStatus)

	res, err := client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"Development": "Yes"}})
	require.NoError(t, err)
	require.Equal(t, []sdk.StackChange{{Action: "Modify", LogicalID: "Logs", Type: "AWS::Logs::LogGroup", Replacement: "Conditional"}}, res.Changes)
	sys = waitSystem(t, client)
	require.Equal(t, "UPDATE_COMPLETE", sys.StackStatus)
	require.Equal(t, "Yes", sys.Parameters["Development"])

	_, err = client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Parameters: map[string]string{"Nope": "1"}})
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%v", err)
	_, err = client.SystemUpdate(ctx, sdk.SystemUpdateOptions{Version: "9.9.9"})
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
	require.Contains(t, err.Error(), "versions/9.9.9/arm64/rack.json")
}

// waitSystem polls the rack until its stack has settled.
func waitSystem(t *testing.T, client *sdk.Client) sdk.System {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		sys, err := client.System(ctx)
		require.NoError(t, err)
		if sys.StackStatus != "" && !strings.HasSuffix(sys.StackStatus, "_IN_PROGRESS") {
			return sys
		}
		select {
		case <-ctx.Done():
			t.Fatalf("rack still %s: %v", sys.StackStatus, ctx.Err())
		case <-tick.C:
		}
	}
}
