package params

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

var (
	_ service.EnvValues  = (*Values)(nil)
	_ service.EnvRemover = (*Values)(nil)
)

// TestValuesOnEmulator keeps two releases' environments: values are
// SecureStrings, an unchanged value is shared, an empty one is not kept,
// a retry writes nothing new, and deleting the app removes them all.
func TestValuesOnEmulator(t *testing.T) {
	client := ssm.NewFromConfig(emulatortest.Config(t))
	rackName := emulatortest.Name("p")
	values := New(client, rackName)
	ctx := context.Background()
	t.Cleanup(func() { _ = values.DeleteEnv(context.Background(), "web") })

	one, err := values.StoreEnv(ctx, "web", "RONE", rack.Environment{"A": "1", "B": "two\nlines=x", "EMPTY": ""})
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"A":     names.EnvParameter(rackName, "web", "A", "RONE"),
		"B":     names.EnvParameter(rackName, "web", "B", "RONE"),
		"EMPTY": "",
	}, one)
	p, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(one["B"]), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, types.ParameterTypeSecureString, p.Parameter.Type)
	require.Equal(t, "two\nlines=x", aws.ToString(p.Parameter.Value))

	again, err := values.StoreEnv(ctx, "web", "RONE", rack.Environment{"A": "1", "B": "two\nlines=x", "EMPTY": ""})
	require.NoError(t, err)
	require.Equal(t, one, again, "a retry finds what it kept")

	two, err := values.StoreEnv(ctx, "web", "RTWO", rack.Environment{"A": "1", "B": "changed", "C": "3"})
	require.NoError(t, err)
	require.Equal(t, one["A"], two["A"], "an unchanged value is shared")
	require.Equal(t, names.EnvParameter(rackName, "web", "B", "RTWO"), two["B"])
	require.Equal(t, names.EnvParameter(rackName, "web", "C", "RTWO"), two["C"])
	// The first release's values are still there, for a rollback.
	p, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(one["B"]), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, "two\nlines=x", aws.ToString(p.Parameter.Value))

	// Another app's values are its own.
	other, err := values.StoreEnv(ctx, "webby", "RONE", rack.Environment{"A": "1"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = values.DeleteEnv(context.Background(), "webby") })
	require.NotEqual(t, one["A"], other["A"])

	require.NoError(t, values.DeleteEnv(ctx, "web"))
	left, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(names.EnvParameterPath(rackName, "web")), Recursive: aws.Bool(true)})
	require.NoError(t, err)
	require.Empty(t, left.Parameters)
	kept, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(names.EnvParameterPath(rackName, "webby")), Recursive: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, kept.Parameters, 1)
	b, _ := json.Marshal(kept.Parameters[0].Name)
	t.Logf("kept: %s", b)
}
