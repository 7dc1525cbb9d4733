package appstack_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/rack"
)

// TestAppStatusCoversEveryStackStatus fails when the SDK learns a stack
// status this table, and so AppStatus, does not decide.
func TestAppStatusCoversEveryStackStatus(t *testing.T) {
	want := map[string]rack.AppStatus{
		"REVIEW_IN_PROGRESS": rack.AppCreating,
		"CREATE_IN_PROGRESS": rack.AppCreating,
		"CREATE_FAILED":      rack.AppFailed,
		"CREATE_COMPLETE":    rack.AppRunning,

		"ROLLBACK_IN_PROGRESS": rack.AppFailed,
		"ROLLBACK_FAILED":      rack.AppFailed,
		"ROLLBACK_COMPLETE":    rack.AppFailed,

		"UPDATE_IN_PROGRESS":                           rack.AppUpdating,
		"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":          rack.AppUpdating,
		"UPDATE_COMPLETE":                              rack.AppRunning,
		"UPDATE_FAILED":                                rack.AppFailed,
		"UPDATE_ROLLBACK_IN_PROGRESS":                  rack.AppUpdating,
		"UPDATE_ROLLBACK_FAILED":                       rack.AppFailed,
		"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": rack.AppUpdating,
		"UPDATE_ROLLBACK_COMPLETE":                     rack.AppRunning,

		"IMPORT_IN_PROGRESS":          rack.AppUpdating,
		"IMPORT_COMPLETE":             rack.AppRunning,
		"IMPORT_ROLLBACK_IN_PROGRESS": rack.AppUpdating,
		"IMPORT_ROLLBACK_FAILED":      rack.AppFailed,
		"IMPORT_ROLLBACK_COMPLETE":    rack.AppRunning,

		"DELETE_IN_PROGRESS": rack.AppDeleting,
		"DELETE_FAILED":      rack.AppFailed,
		"DELETE_COMPLETE":    "", // the app has no stack any more
	}
	values := types.StackStatus("").Values()
	require.Len(t, want, len(values), "the table and the SDK list different stack statuses")
	for _, v := range values {
		status := string(v)
		expected, ok := want[status]
		require.True(t, ok, "stack status %s is not in the table", status)
		got := appstack.AppStatus(events.StackStatus(status))
		require.Equal(t, expected, got, status)
		if got != "" {
			require.True(t, got.Valid(), "%s maps to %q, which is no app status", status, got)
		}
	}
}

func TestAppStatusUnknown(t *testing.T) {
	require.Equal(t, rack.AppStatus(""), appstack.AppStatus(""))
	require.Equal(t, rack.AppStatus(""), appstack.AppStatus("SOMETHING_NEW"))
	require.Equal(t, rack.AppStatus(""), appstack.AppStatus("create_complete"))
}
