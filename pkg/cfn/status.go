package cfn

import (
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/rackhq/rack/pkg/rack"
)

// appStatuses says what each stack status means for the app. A stack whose
// change rolled back to where it was (UPDATE_ROLLBACK_COMPLETE,
// IMPORT_ROLLBACK_COMPLETE) serves as before, so the app is running; a
// stack whose create rolled back (ROLLBACK_*) has nothing to serve, so the
// app failed. DELETE_COMPLETE is absent: the stack is gone and with it the
// app.
var appStatuses = map[types.StackStatus]rack.AppStatus{
	// REVIEW_IN_PROGRESS is a stack made by a change set not yet executed:
	// it has no resources yet.
	types.StackStatusReviewInProgress: rack.AppCreating,
	types.StackStatusCreateInProgress: rack.AppCreating,
	types.StackStatusCreateFailed:     rack.AppFailed,
	types.StackStatusCreateComplete:   rack.AppRunning,

	types.StackStatusRollbackInProgress: rack.AppFailed,
	types.StackStatusRollbackFailed:     rack.AppFailed,
	types.StackStatusRollbackComplete:   rack.AppFailed,

	types.StackStatusUpdateInProgress:                        rack.AppUpdating,
	types.StackStatusUpdateCompleteCleanupInProgress:         rack.AppUpdating,
	types.StackStatusUpdateComplete:                          rack.AppRunning,
	types.StackStatusUpdateFailed:                            rack.AppFailed,
	types.StackStatusUpdateRollbackInProgress:                rack.AppUpdating,
	types.StackStatusUpdateRollbackFailed:                    rack.AppFailed,
	types.StackStatusUpdateRollbackCompleteCleanupInProgress: rack.AppUpdating,
	types.StackStatusUpdateRollbackComplete:                  rack.AppRunning,

	types.StackStatusImportInProgress:         rack.AppUpdating,
	types.StackStatusImportComplete:           rack.AppRunning,
	types.StackStatusImportRollbackInProgress: rack.AppUpdating,
	types.StackStatusImportRollbackFailed:     rack.AppFailed,
	types.StackStatusImportRollbackComplete:   rack.AppRunning,

	types.StackStatusDeleteInProgress: rack.AppDeleting,
	types.StackStatusDeleteFailed:     rack.AppFailed,
}

// AppStatus tells the app status a CloudFormation stack status means. It is
// "" for DELETE_COMPLETE, when the app has no stack any more, and for a
// status it does not know.
func AppStatus(stackStatus string) rack.AppStatus {
	return appStatuses[types.StackStatus(stackStatus)]
}
