package wire_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/wire"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestReadEnv(t *testing.T) {
	e, err := wire.ReadEnv(env(map[string]string{
		"RACK_NAME": "dev", "RACK_TABLE": "t", "RACK_KEY": "k", "RACK_EVENT_BUS": "dev-events",
	}), names.EnvRack, names.EnvTable)
	require.NoError(t, err)
	require.Equal(t, wire.Env{Rack: "dev", Table: "t", Key: "k", EventBus: "dev-events", Version: "dev"}, e)

	_, err = wire.ReadEnv(env(map[string]string{"RACK_NAME": "dev"}), names.EnvTable, names.EnvRack, names.EnvKey, names.EnvTable)
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
	require.EqualError(t, err, "configuration: RACK_KEY, RACK_TABLE not set")

	require.Equal(t, rack.System{Name: "dev", Provider: "aws", Region: "eu-west-1", Version: "dev"}, e.System("eu-west-1"))
}

func TestLoggerLevel(t *testing.T) {
	ctx := context.Background()
	for value, debug := range map[string]bool{"debug": true, "info": false, "": false, "nonsense": false} {
		h := wire.Logger(io.Discard, env(map[string]string{"RACK_LOG_LEVEL": value}))
		require.Equal(t, debug, h.Enabled(ctx, slog.LevelDebug), "RACK_LOG_LEVEL=%q", value)
		require.True(t, h.Enabled(ctx, slog.LevelInfo))
	}
}

// lambdaEnv is what Lambda sets, with the endpoint variables given.
func lambdaEnv(extra map[string]string) func(string) string {
	m := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	for k, v := range extra {
		m[k] = v
	}
	return env(m)
}

// server records the hosts and authorizations it is sent, and answers
// every request with an empty JSON object.
func server(t *testing.T) (*httptest.Server, *[]string) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// TestAWSFromLambdasEnvironment: the region, the role's credentials and
// AWS_ENDPOINT_URL reach a client, signed as the SDK signs.
func TestAWSFromLambdasEnvironment(t *testing.T) {
	srv, seen := server(t)
	cfg, err := wire.AWS(lambdaEnv(map[string]string{"AWS_ENDPOINT_URL": srv.URL}))
	require.NoError(t, err)
	require.Equal(t, "eu-west-1", cfg.Region)
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	require.Equal(t, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", SessionToken: "token", Source: creds.Source}, creds)

	_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	require.Len(t, *seen, 1)
	require.Contains(t, (*seen)[0], "Credential=AKID/")
	require.Contains(t, (*seen)[0], "/eu-west-1/dynamodb/aws4_request")
}

// TestAWSServiceEndpoints: AWS_ENDPOINT_URL_<SERVICE> wins for its
// service, and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns both off. (The
// SDK's clients look at the process's own AWS_ENDPOINT_URL* too, so the
// test sets them there, as Lambda would.)
func TestAWSServiceEndpoints(t *testing.T) {
	general, generalSeen := server(t)
	own, ownSeen := server(t)
	t.Setenv("AWS_ENDPOINT_URL", general.URL)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", own.URL)
	cfg, err := wire.AWS(lambdaEnv(map[string]string{"AWS_ENDPOINT_URL": general.URL, "AWS_ENDPOINT_URL_DYNAMODB": own.URL}))
	require.NoError(t, err)
	_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	require.Len(t, *ownSeen, 1)
	require.Empty(t, *generalSeen)
	require.Equal(t, general.URL, aws.ToString(cloudformation.NewFromConfig(cfg).Options().BaseEndpoint))

	cfg, err = wire.AWS(lambdaEnv(map[string]string{
		"AWS_ENDPOINT_URL": general.URL, "AWS_ENDPOINT_URL_DYNAMODB": own.URL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
	}))
	require.NoError(t, err)
	require.Nil(t, dynamodb.NewFromConfig(cfg).Options().BaseEndpoint)
	require.Nil(t, cloudformation.NewFromConfig(cfg).Options().BaseEndpoint)
}

func TestAWSNeedsRegionAndCredentials(t *testing.T) {
	_, err := wire.AWS(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}))
	require.EqualError(t, err, "configuration: AWS_REGION not set")
	cfg, err := wire.AWS(env(map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}))
	require.NoError(t, err)
	require.Equal(t, "us-west-2", cfg.Region)
	_, err = wire.AWS(env(map[string]string{"AWS_REGION": "us-west-2"}))
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "configuration: AWS_ACCESS_KEY_ID"), err.Error())
}

// TestFunctionLoad: a function is built only from a complete environment,
// and one that must answer anyway gets its Broken handler from Start.
func TestFunctionLoad(t *testing.T) {
	f := wire.Function[string]{
		Name:     "probe",
		Required: []string{names.EnvTable},
		Build: func(e wire.Env, cfg aws.Config, _ *slog.Logger) (string, error) {
			return e.Table + "@" + cfg.Region, nil
		},
	}
	got, err := f.Load(lambdaEnv(map[string]string{"RACK_TABLE": "t"}), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Equal(t, "t@eu-west-1", got)
	_, err = f.Load(lambdaEnv(nil), slog.New(slog.DiscardHandler))
	require.EqualError(t, err, "configuration: RACK_TABLE not set")
}
