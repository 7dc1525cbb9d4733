package customresource_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/trigger/customresource"
)

// TestDecodeFixtures: the sample requests decode as aws-lambda-go decodes
// them, string properties and all.
func TestDecodeFixtures(t *testing.T) {
	for _, name := range []string{"create", "update", "delete"} {
		t.Run(name, func(t *testing.T) {
			raw := fixture(t, name)
			got, err := customresource.Decode(raw)
			require.NoError(t, err)
			var want cfn.Event
			require.NoError(t, json.Unmarshal(raw, &want))
			require.Equal(t, want, got)
			require.Equal(t, customresource.TypeEmptyBucket, got.ResourceType)
			require.IsType(t, "", got.ResourceProperties["MaxKeysPerBatch"], "scalars arrive as strings")
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, raw  string
		errs       []string
		answerable bool
	}{
		{"not an object", `[1]`, []string{"not a JSON object"}, false},
		{"empty", `{}`, []string{"ResponseURL is missing", "RequestId is missing", "StackId is missing", "LogicalResourceId is missing", "RequestType is missing", "ResourceType is missing"}, false},
		{"wrong types", `{"ResponseURL":"https://x/y","RequestId":1,"StackId":"s","LogicalResourceId":"L","RequestType":"Create","ResourceType":["x"],"ResourceProperties":"p"}`,
			[]string{"RequestId is not a string", "ResourceType is not a string", "ResourceProperties is not an object"}, true},
		{"unknown request type", `{"ResponseURL":"https://x/y","RequestId":"r","StackId":"s","LogicalResourceId":"L","RequestType":"Replace","ResourceType":"Custom::X"}`,
			[]string{`RequestType "Replace" is not Create, Update or Delete`}, true},
		{"update without physical id", `{"ResponseURL":"https://x/y","RequestId":"r","StackId":"s","LogicalResourceId":"L","RequestType":"Update","ResourceType":"Custom::X"}`,
			[]string{"PhysicalResourceId is missing from an Update"}, true},
		{"response URL not http", `{"ResponseURL":"file:///etc/passwd","RequestId":"r","StackId":"s","LogicalResourceId":"L","RequestType":"Create","ResourceType":"Custom::X"}`,
			[]string{"ResponseURL is not an http(s) URL"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := customresource.Decode([]byte(tc.raw))
			require.Error(t, err)
			for _, e := range tc.errs {
				require.ErrorContains(t, err, e)
			}
			require.Equal(t, tc.answerable, ev.ResponseURL != "")
		})
	}
}
