package config_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/rack"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		"RACK_NAME": "dev", "RACK_TABLE": "t", "RACK_KEY": "k", "RACK_PASSWORD_PARAMETER": "/p",
	}))
	require.NoError(t, err)
	require.Equal(t, config.Config{Rack: "dev", Table: "t", Key: "k", PasswordParameter: "/p", Version: "dev"}, c)

	_, err = config.FromEnv(env(map[string]string{"RACK_NAME": "dev"}))
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
	require.Equal(t, "configuration: RACK_KEY, RACK_PASSWORD_PARAMETER, RACK_TABLE not set", err.Error())
}

func TestRequire(t *testing.T) {
	c := config.Config{Builder: "b", EventBus: "e"}
	require.NoError(t, c.Require(config.EnvBuilder, config.EnvEventBus))
	err := c.Require(config.EnvBuilder, config.EnvCluster, config.EnvInstancesGroup)
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
	require.Equal(t, "configuration: RACK_CLUSTER, RACK_INSTANCES_GROUP not set", err.Error())
}

func TestLoggerLevel(t *testing.T) {
	ctx := context.Background()
	for value, debug := range map[string]bool{"debug": true, "info": false, "": false, "nonsense": false} {
		h := config.Logger(env(map[string]string{"RACK_LOG_LEVEL": value}))
		require.Equal(t, debug, h.Enabled(ctx, slog.LevelDebug), "RACK_LOG_LEVEL=%q", value)
		require.True(t, h.Enabled(ctx, slog.LevelInfo))
	}
}
