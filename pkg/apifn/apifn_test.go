package apifn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/apifn"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/dynamo"
	"github.com/rackhq/rack/pkg/emulatortest"
	"github.com/rackhq/rack/pkg/fake"
	"github.com/rackhq/rack/pkg/memstore"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/wire"
)

const password = "emulator-password"

// onEmulator wires the API to fresh resources on the emulator, exactly as
// the api function does, and returns it with its configuration.
func onEmulator(t testing.TB) (*api.Server, config.Config, wire.Clients) {
	t.Helper()
	awsCfg := emulatortest.Config(t)
	name := emulatortest.Name("r")
	c := config.Config{
		Rack:              name,
		Table:             name,
		Key:               "alias/" + name,
		PasswordParameter: "/rack/" + name + "/password-hash",
		Version:           "test",
	}
	clients := wire.NewClients(awsCfg)
	created, err := apifn.Prepare(context.Background(), c, clients, password)
	require.NoError(t, err)
	require.True(t, created)
	created, err = apifn.Prepare(context.Background(), c, clients, "another")
	require.NoError(t, err)
	require.False(t, created, "a second start keeps the first password")
	return apifn.New(c, awsCfg.Region, clients, nil), c, clients
}

// eventually polls f until it returns true, failing after a deadline.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	require.Eventually(t, f, 30*time.Second, 50*time.Millisecond, "gave up waiting: %s", what)
}

func TestAPIOnTheEmulator(t *testing.T) {
	server, c, clients := onEmulator(t)
	srv := httptest.NewServer(server)
	defer srv.Close()
	client, err := sdk.New(srv.URL, password)
	require.NoError(t, err)
	ctx := context.Background()

	bad, err := sdk.New(srv.URL, "another")
	require.NoError(t, err)
	_, err = bad.AppList(ctx)
	require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(err))

	_, err = client.AppCreate(ctx, "myapp")
	require.NoError(t, err)
	eventually(t, "app running", func() bool {
		a, err := client.AppGet(ctx, "myapp")
		return err == nil && a.Status == "running"
	})

	env := map[string]string{"A": "1", "B": "x=y", "SECRET": "hunter2\nline"}
	r, err := client.ReleaseCreate(ctx, "myapp", sdk.ReleaseCreateOptions{Env: &env})
	require.NoError(t, err)
	got, err := client.EnvironmentGet(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, env, got)
	releases, err := client.ReleaseList(ctx, "myapp")
	require.NoError(t, err)
	require.Len(t, releases, 1)
	require.Equal(t, r.ID, releases[0].ID)

	// In DynamoDB the environment is KMS-sealed ciphertext.
	stored, err := dynamo.New(clients.DynamoDB, c.Table, nil).GetRelease(ctx, "myapp", r.ID)
	require.NoError(t, err)
	require.NotContains(t, string(stored.Env), "hunter2")
	require.NotEmpty(t, stored.Env)

	_, err = client.AppDelete(ctx, "myapp")
	require.NoError(t, err)
	eventually(t, "app gone", func() bool {
		_, err := client.AppGet(ctx, "myapp")
		return rack.IsCode(err, rack.ENOTFOUND)
	})
	_, err = dynamo.New(clients.DynamoDB, c.Table, nil).GetRelease(ctx, "myapp", r.ID)
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "the app's releases went with it")
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
	server, _, _ := onEmulator(t)
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
		svc := service.New(service.Config{Store: store, Stacks: fake.NewStacks(), Sealer: fake.Sealer{}})
		hash, err := auth.Hash(password)
		require.NoError(b, err)
		run(b, api.New(api.Config{Service: svc, Auth: auth.NewVerifier(staticHash(hash))}))
	})
	b.Run("emulator", func(b *testing.B) {
		server, _, _ := onEmulator(b)
		run(b, server)
	})
}

// staticHash is a password hash kept in memory.
type staticHash []byte

func (h staticHash) PasswordHash(context.Context) ([]byte, error) { return h, nil }
