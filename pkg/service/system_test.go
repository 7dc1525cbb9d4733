package service_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

// rackParams are a running rack's stack parameters.
func rackParams() map[string]string {
	return map[string]string{
		"Version": "1.0.0", "Architecture": "arm64", "CodeBucket": "rack-artifacts-123456789012-us-east-1",
		"CodePrefix": "versions/1.0.0/arm64/aaaa/", "Password": "secret", "InstanceType": "t4g.small",
		"InstanceCount": "2", "Development": "No",
	}
}

func newSystem() (*service.System, *fake.RackStack) {
	stack := fake.NewRackStack("dev", rackParams(), "Password")
	return service.NewStackSystem(rack.System{Name: "dev", Region: "us-east-1", Version: "0.9.0"}, stack), stack
}

func TestSystemFromItsStack(t *testing.T) {
	ctx := context.Background()
	sys, stack := newSystem()
	got, err := sys.System(ctx)
	require.NoError(t, err)
	require.Equal(t, rack.SystemRunning, got.Status)
	require.Equal(t, "CREATE_COMPLETE", got.StackStatus)
	require.Equal(t, "1.0.0", got.Version, "the stack's version, not the configuration's")
	require.Equal(t, "t4g.small", got.Type)
	require.Equal(t, 2, got.Count)
	require.Equal(t, "aws", got.Provider)
	require.Equal(t, "****", got.Parameters["Password"], "NoEcho values stay masked")
	require.Equal(t, "No", got.Parameters["Development"])

	stack.SetStatus("UPDATE_ROLLBACK_COMPLETE", "Resource handler returned message: denied")
	got, err = sys.System(ctx)
	require.NoError(t, err)
	require.Equal(t, rack.SystemRunning, got.Status, "a rolled back update leaves the rack running")
	require.Equal(t, "UPDATE_ROLLBACK_COMPLETE", got.StackStatus)
	require.Equal(t, "Resource handler returned message: denied", got.StatusReason)

	stack.Remove()
	got, err = sys.System(ctx)
	require.NoError(t, err, "a rack without its stack (a local API) is still described")
	require.Equal(t, rack.SystemRunning, got.Status)
	require.Equal(t, "0.9.0", got.Version)
	require.Empty(t, got.StackStatus)
	require.Equal(t, "rack dev has no stack", got.StatusReason)
}

func TestSystemStatuses(t *testing.T) {
	for stack, want := range map[string]rack.SystemStatus{
		"CREATE_IN_PROGRESS":                           rack.SystemCreating,
		"CREATE_COMPLETE":                              rack.SystemRunning,
		"UPDATE_IN_PROGRESS":                           rack.SystemUpdating,
		"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":          rack.SystemUpdating,
		"UPDATE_COMPLETE":                              rack.SystemRunning,
		"UPDATE_ROLLBACK_IN_PROGRESS":                  rack.SystemRollback,
		"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": rack.SystemRollback,
		"UPDATE_ROLLBACK_COMPLETE":                     rack.SystemRunning,
		"UPDATE_ROLLBACK_FAILED":                       rack.SystemFailed,
		"UPDATE_FAILED":                                rack.SystemFailed,
		"ROLLBACK_COMPLETE":                            rack.SystemFailed,
		"DELETE_IN_PROGRESS":                           rack.SystemDeleting,
		"DELETE_FAILED":                                rack.SystemFailed,
		"SOMETHING_NEW":                                rack.SystemUnknown,
	} {
		require.Equal(t, want, service.SystemStatus(stack), stack)
	}
}

func TestUpdateParameters(t *testing.T) {
	ctx := context.Background()
	sys, stack := newSystem()
	changes, err := sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "3"}})
	require.NoError(t, err)
	require.Equal(t, stack.Preview, changes)
	require.Len(t, stack.Updates, 1)
	u := stack.Updates[0]
	require.Empty(t, u.TemplateURL, "parameters keep the template")
	require.Equal(t, map[string]string{"InstanceCount": "3"}, u.Values)
	require.Equal(t, []string{"Architecture", "CodeBucket", "CodePrefix", "Development", "InstanceType", "Password", "Version"}, u.Keep)
	require.Equal(t, "secret", stack.Parameters()["Password"], "a NoEcho value is kept, not overwritten by its mask")

	got, err := sys.System(ctx)
	require.NoError(t, err)
	require.Equal(t, rack.SystemUpdating, got.Status)
	require.Equal(t, "3", got.Parameters["InstanceCount"])

	_, err = sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "4"}})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "rack dev is updating (UPDATE_IN_PROGRESS): wait until it is done")
	stack.Settle()

	// The same values again: CloudFormation finds nothing to change.
	changes, err = sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "3"}})
	require.NoError(t, err)
	require.Empty(t, changes)
	require.NotNil(t, changes, "no changes is an empty list")
	require.Len(t, stack.Updates, 1)
}

func TestUpdateRefusesBadInputAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	sys, stack := newSystem()
	for _, c := range []struct {
		opts service.SystemUpdateOptions
		code string
		msg  string
	}{
		{service.SystemUpdateOptions{}, rack.EINVALID, "nothing to update"},
		{service.SystemUpdateOptions{Parameters: map[string]string{}}, rack.EINVALID, "nothing to update"},
		{service.SystemUpdateOptions{Parameters: map[string]string{"Nope": "1", "Other": "2", "InstanceCount": "1"}}, rack.EINVALID, `rack dev has no parameter "Nope", "Other"`},
		{service.SystemUpdateOptions{Parameters: map[string]string{"": "1"}}, rack.EINVALID, `rack dev has no parameter ""`},
		{service.SystemUpdateOptions{Parameters: map[string]string{"CodePrefix": "x/", "Version": "2"}}, rack.EINVALID, "Version, CodePrefix: set by the rack with the version"},
		{service.SystemUpdateOptions{Parameters: map[string]string{"StackRole": "arn:aws:iam::123456789012:role/admin"}}, rack.EINVALID, "StackRole: the role the rack's updates run with is set with AWS credentials"},
		{service.SystemUpdateOptions{Version: "../../etc"}, rack.EINVALID, `version "../../etc"`},
		{service.SystemUpdateOptions{Version: "2.0.0"}, rack.ENOTFOUND, "version 2.0.0 (arm64) has not been uploaded"},
		{service.SystemUpdateOptions{Parameters: map[string]string{"Architecture": "x86_64"}}, rack.ENOTFOUND, "version 1.0.0 (x86_64) has not been uploaded"},
	} {
		_, err := sys.UpdateSystem(ctx, c.opts)
		requireCode(t, c.code, err)
		require.Contains(t, err.Error(), c.msg, "%+v", c.opts)
	}
	require.Empty(t, stack.Updates)
	require.Equal(t, rackParams(), stack.Parameters())

	stack.SetStatus("UPDATE_ROLLBACK_FAILED", "Lambda: denied")
	_, err := sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "1"}})
	requireCode(t, rack.ECONFLICT, err)
	require.Equal(t, "rack dev is failed (UPDATE_ROLLBACK_FAILED) and its stack cannot be updated: Lambda: denied", err.Error())

	stack.Remove()
	_, err = sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"InstanceCount": "1"}})
	requireCode(t, rack.ENOTFOUND, err)

	_, err = service.NewSystem(rack.System{Name: "dev"}).UpdateSystem(ctx, service.SystemUpdateOptions{Version: "1.0.0"})
	requireCode(t, rack.ENOTFOUND, err)
}

func TestUpdateVersion(t *testing.T) {
	ctx := context.Background()
	sys, stack := newSystem()

	// The version running, nothing else: nothing to do, even mid-update.
	stack.SetStatus("UPDATE_IN_PROGRESS", "")
	changes, err := sys.UpdateSystem(ctx, service.SystemUpdateOptions{Version: "1.0.0"})
	require.NoError(t, err)
	require.Empty(t, changes)
	stack.SetStatus("UPDATE_COMPLETE", "")

	// Version 2 drops Development and adds Webhooks.
	stack.Upload("2.0.0", "arm64", map[string]string{
		"Version": "2.0.0", "Architecture": "arm64", "CodeBucket": "", "CodePrefix": "", "Password": "",
		"InstanceType": "t4g.small", "InstanceCount": "0", "Webhooks": "",
	})
	_, err = sys.UpdateSystem(ctx, service.SystemUpdateOptions{Version: "2.0.0", Parameters: map[string]string{"Development": "Yes"}})
	requireCode(t, rack.EINVALID, err)
	require.Contains(t, err.Error(), `version 2.0.0 of the rack has no parameter "Development"`)

	changes, err = sys.UpdateSystem(ctx, service.SystemUpdateOptions{Version: "2.0.0", Parameters: map[string]string{"Webhooks": "https://hooks.example.org/x"}})
	require.NoError(t, err)
	require.Equal(t, stack.Preview, changes)
	require.Len(t, stack.Updates, 1)
	u := stack.Updates[0]
	require.Equal(t, "https://s3.us-east-1.amazonaws.com/rack-artifacts-123456789012-us-east-1/versions/2.0.0/arm64/rack.json", u.TemplateURL)
	require.Equal(t, map[string]string{
		"Version": "2.0.0", "Architecture": "arm64", "CodeBucket": "rack-artifacts-123456789012-us-east-1",
		"CodePrefix": "versions/2.0.0/arm64/0123456789abcdef/", "Webhooks": "https://hooks.example.org/x",
	}, u.Values)
	require.Equal(t, []string{"InstanceCount", "InstanceType", "Password"}, u.Keep, "kept: the parameters both templates have")

	got, err := sys.System(ctx)
	require.NoError(t, err)
	require.Equal(t, "2.0.0", got.Version)
}

func TestUpdateArchitectureTakesItsCode(t *testing.T) {
	ctx := context.Background()
	sys, stack := newSystem()
	stack.Upload("1.0.0", "x86_64", map[string]string{"Version": "", "Architecture": "arm64", "CodeBucket": "", "CodePrefix": "", "Password": "", "InstanceType": "", "InstanceCount": "", "Development": ""})
	_, err := sys.UpdateSystem(ctx, service.SystemUpdateOptions{Parameters: map[string]string{"Architecture": "x86_64"}})
	require.NoError(t, err)
	require.Len(t, stack.Updates, 1)
	require.Equal(t, "versions/1.0.0/x86_64/0123456789abcdef/", stack.Updates[0].Values["CodePrefix"])
	require.Equal(t, "x86_64", stack.Updates[0].Values["Architecture"])
	require.Contains(t, stack.Updates[0].TemplateURL, "/versions/1.0.0/x86_64/rack.json")
}
