package events_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
)

// decodeStackStatusChange reads a sample into the envelope and our detail.
func decodeStackStatusChange(t *testing.T, file string) ([]byte, awsevents.CloudWatchEvent, events.CloudFormationStackStatusChangeDetail) {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	var detail events.CloudFormationStackStatusChangeDetail
	require.NoError(t, json.Unmarshal(ev.Detail, &detail))
	return raw, ev, detail
}

func TestStackStatusChangeRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/cloudformation-stack-status-*.json")
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, ev, detail := decodeStackStatusChange(t, file)

			// Re-encode the detail from our type, not the raw bytes, so a
			// field our type misses would be missing from the output.
			detailJSON, err := json.Marshal(detail)
			require.NoError(t, err)
			ev.Detail = detailJSON
			out, err := json.Marshal(ev)
			require.NoError(t, err)
			require.JSONEq(t, string(raw), string(out))

			require.Equal(t, events.CloudFormationEventSource, ev.Source)
			require.Equal(t, events.CloudFormationStackStatusChangeDetailType, ev.DetailType)
		})
	}
}

func TestStackStatusChangeFields(t *testing.T) {
	token := func(s string) *string { return &s }
	const stackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/dev-App-myapp/8f0c2e60-45d1-11f0-b6e2-0affd3c2a8e1"
	tests := []struct {
		file   string
		status events.StackStatus
		reason string
		token  *string
	}{
		{"create-complete", events.StackStatusCreateComplete, "", token("")},
		{"update-in-progress", events.StackStatusUpdateInProgress, "User Initiated", token("release-RBCDFGHJKLM")},
		{"update-complete", events.StackStatusUpdateComplete, "", token("release-RBCDFGHJKLM")},
		{"update-rollback-complete", events.StackStatusUpdateRollbackComplete, "", token("release-RQWERTYUIOP")},
		{"delete-complete", events.StackStatusDeleteComplete, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, _, detail := decodeStackStatusChange(t, "testdata/cloudformation-stack-status-"+tt.file+".json")
			require.Equal(t, events.CloudFormationStackStatusChangeDetail{
				StackID: stackID,
				StatusDetails: events.CloudFormationStackStatusDetails{
					Status:       tt.status,
					StatusReason: tt.reason,
				},
				ClientRequestToken: tt.token,
			}, detail)
		})
	}
}

func TestStackName(t *testing.T) {
	good := []struct {
		id, name string
	}{
		{"arn:aws:cloudformation:us-east-1:123456789012:stack/dev-App-myapp/8f0c2e60-45d1-11f0-b6e2-0affd3c2a8e1", "dev-App-myapp"},
		{"arn:aws:cloudformation:eu-west-1:123456789012:stack/dev/0a1b2c3d-45d1-11f0-b6e2-0affd3c2a8e1", "dev"},
		{"arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Dev-App-2/uuid", "Dev-App-2"},
		{"arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/prod-web/uuid", "prod-web"},
		// AWS's documented examples leave the UUID out.
		{"arn:aws:cloudformation:us-west-1:123456789012:stack/teststack", "teststack"},
	}
	for _, tt := range good {
		t.Run(tt.id, func(t *testing.T) {
			name, err := events.StackName(tt.id)
			require.NoError(t, err)
			require.Equal(t, tt.name, name)
		})
	}

	bad := []string{
		"",
		"dev-App-myapp",
		"stack/dev-App-myapp/uuid",
		"arn:aws:cloudformation:us-east-1:123456789012:stack",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/",
		"arn:aws:cloudformation:us-east-1:123456789012:stack//uuid",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/dev-App-myapp/",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/dev-App-myapp/uuid/extra",
		"arn:aws:cloudformation:us-east-1:123456789012:stackset/dev-App-myapp:uuid",
		"arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/uuid",
		"arn:aws:cloudformation:us-east-1::stack/dev-App-myapp/uuid",
		"arn:aws:cloudformation::123456789012:stack/dev-App-myapp/uuid",
		"arn::cloudformation:us-east-1:123456789012:stack/dev-App-myapp/uuid",
		"arn:aws:s3:us-east-1:123456789012:stack/dev-App-myapp/uuid",
		"urn:aws:cloudformation:us-east-1:123456789012:stack/dev-App-myapp/uuid",
		"arn:aws:cloudformation:us-east-1:123456789012:stack/dev:myapp/uuid",
	}
	for _, id := range bad {
		t.Run(id, func(t *testing.T) {
			_, err := events.StackName(id)
			require.Error(t, err)
		})
	}
}

func TestScheduledEventSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/scheduled-event.json")
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.Equal(t, events.ScheduledEventSource, ev.Source)
	require.Equal(t, events.ScheduledEventDetailType, ev.DetailType)
	require.JSONEq(t, `{}`, string(ev.Detail))
}
