package events

import (
	"fmt"
	"slices"
	"strings"
)

// Wire values of CloudFormation's EventBridge events, documented at
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html
const (
	CloudFormationEventSource                 = "aws.cloudformation"
	CloudFormationStackStatusChangeDetailType = "CloudFormation Stack Status Change"
)

// CloudFormationStackStatusChangeDetail is the detail of a "CloudFormation
// Stack Status Change" event: a stack reached a new status.
//
// CloudFormation delivers these events durably but not in order, and
// possibly more than once: the status is where the stack was at the
// envelope's time, not necessarily where it is now.
type CloudFormationStackStatusChangeDetail struct {
	// StackID is the stack's ARN,
	// arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID. Unlike the
	// name, it tells apart two stacks that had the same name one after the
	// other. StackName extracts the name.
	StackID string `json:"stack-id"`

	StatusDetails CloudFormationStackStatusDetails `json:"status-details"`

	// ClientRequestToken is the token of the operation that caused the
	// change; every event of one operation carries the same one. It is ""
	// when the operation was given none, and the key is absent from some
	// events (DELETE_COMPLETE has been seen without it), hence nil.
	ClientRequestToken *string `json:"client-request-token,omitempty"`
}

// CloudFormationStackStatusDetails is the status a stack reached, and why.
type CloudFormationStackStatusDetails struct {
	Status StackStatus `json:"status"`
	// StatusReason is usually "", or a message such as "User Initiated"
	// or why a change failed.
	StatusReason string `json:"status-reason"`
}

// StackStatus is the status of a CloudFormation stack.
type StackStatus string

// The stack statuses, as CloudFormation spells them.
const (
	StackStatusCreateInProgress                        StackStatus = "CREATE_IN_PROGRESS"
	StackStatusCreateFailed                            StackStatus = "CREATE_FAILED"
	StackStatusCreateComplete                          StackStatus = "CREATE_COMPLETE"
	StackStatusRollbackInProgress                      StackStatus = "ROLLBACK_IN_PROGRESS"
	StackStatusRollbackFailed                          StackStatus = "ROLLBACK_FAILED"
	StackStatusRollbackComplete                        StackStatus = "ROLLBACK_COMPLETE"
	StackStatusDeleteInProgress                        StackStatus = "DELETE_IN_PROGRESS"
	StackStatusDeleteFailed                            StackStatus = "DELETE_FAILED"
	StackStatusDeleteComplete                          StackStatus = "DELETE_COMPLETE"
	StackStatusUpdateInProgress                        StackStatus = "UPDATE_IN_PROGRESS"
	StackStatusUpdateCompleteCleanupInProgress         StackStatus = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	StackStatusUpdateComplete                          StackStatus = "UPDATE_COMPLETE"
	StackStatusUpdateFailed                            StackStatus = "UPDATE_FAILED"
	StackStatusUpdateRollbackInProgress                StackStatus = "UPDATE_ROLLBACK_IN_PROGRESS"
	StackStatusUpdateRollbackFailed                    StackStatus = "UPDATE_ROLLBACK_FAILED"
	StackStatusUpdateRollbackCompleteCleanupInProgress StackStatus = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	StackStatusUpdateRollbackComplete                  StackStatus = "UPDATE_ROLLBACK_COMPLETE"
	StackStatusReviewInProgress                        StackStatus = "REVIEW_IN_PROGRESS"
	StackStatusImportInProgress                        StackStatus = "IMPORT_IN_PROGRESS"
	StackStatusImportComplete                          StackStatus = "IMPORT_COMPLETE"
	StackStatusImportRollbackInProgress                StackStatus = "IMPORT_ROLLBACK_IN_PROGRESS"
	StackStatusImportRollbackFailed                    StackStatus = "IMPORT_ROLLBACK_FAILED"
	StackStatusImportRollbackComplete                  StackStatus = "IMPORT_ROLLBACK_COMPLETE"
)

// StackName returns the name of the stack whose ARN is stackID,
// arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/UUID. The UUID may
// be missing, as in AWS's documented examples.
func StackName(stackID string) (string, error) {
	// A stack name holds neither ":" nor "/", so the ARN splits unambiguously.
	parts := strings.Split(stackID, ":")
	if len(parts) != 6 || slices.Contains(parts, "") || parts[0] != "arn" || parts[2] != "cloudformation" {
		return "", fmt.Errorf("stack id %q is not a CloudFormation stack ARN", stackID)
	}
	resource := strings.Split(parts[5], "/")
	if len(resource) < 2 || len(resource) > 3 || slices.Contains(resource, "") || resource[0] != "stack" {
		return "", fmt.Errorf("stack id %q is not a CloudFormation stack ARN", stackID)
	}
	return resource[1], nil
}
