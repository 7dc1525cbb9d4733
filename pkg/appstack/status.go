package appstack

import (
	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// appStatuses says what each stack status means for the app. A stack whose
// change rolled back to where it was (UPDATE_ROLLBACK_COMPLETE,
// IMPORT_ROLLBACK_COMPLETE) serves as before, so the app is running; a
// stack whose create rolled back (ROLLBACK_*) has nothing to serve, so the
// app failed. DELETE_COMPLETE is absent: the stack is gone and with it the
// app.
var appStatuses = map[events.StackStatus]rack.AppStatus{
	// REVIEW_IN_PROGRESS is a stack made by a change set not yet executed:
	// it has no resources yet.
	events.StackStatusReviewInProgress: rack.AppCreating,
	events.StackStatusCreateInProgress: rack.AppCreating,
	events.StackStatusCreateFailed:     rack.AppFailed,
	events.StackStatusCreateComplete:   rack.AppRunning,

	events.StackStatusRollbackInProgress: rack.AppFailed,
	events.StackStatusRollbackFailed:     rack.AppFailed,
	events.StackStatusRollbackComplete:   rack.AppFailed,

	events.StackStatusUpdateInProgress:                        rack.AppUpdating,
	events.StackStatusUpdateCompleteCleanupInProgress:         rack.AppUpdating,
	events.StackStatusUpdateComplete:                          rack.AppRunning,
	events.StackStatusUpdateFailed:                            rack.AppFailed,
	events.StackStatusUpdateRollbackInProgress:                rack.AppUpdating,
	events.StackStatusUpdateRollbackFailed:                    rack.AppFailed,
	events.StackStatusUpdateRollbackCompleteCleanupInProgress: rack.AppUpdating,
	events.StackStatusUpdateRollbackComplete:                  rack.AppRunning,

	events.StackStatusImportInProgress:         rack.AppUpdating,
	events.StackStatusImportComplete:           rack.AppRunning,
	events.StackStatusImportRollbackInProgress: rack.AppUpdating,
	events.StackStatusImportRollbackFailed:     rack.AppFailed,
	events.StackStatusImportRollbackComplete:   rack.AppRunning,

	events.StackStatusDeleteInProgress: rack.AppDeleting,
	events.StackStatusDeleteFailed:     rack.AppFailed,
}

// AppStatus tells the app status a CloudFormation stack status means. It is
// "" for DELETE_COMPLETE, when the app has no stack any more, and for a
// status it does not know.
func AppStatus(stackStatus events.StackStatus) rack.AppStatus {
	return appStatuses[stackStatus]
}
