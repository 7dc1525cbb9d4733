package cfn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// rackTemplate is a small rack template: the parameters the rack sets
// itself, a NoEcho one, and a log group whose name follows two of them, so
// that changing them changes a resource. extra adds resources.
func rackTemplate(extra string) string {
	return `{
  "Parameters": {
    "Version": {"Type": "String", "Default": "1"},
    "Architecture": {"Type": "String", "Default": "arm64"},
    "CodeBucket": {"Type": "String", "Default": ""},
    "CodePrefix": {"Type": "String", "Default": ""},
    "Password": {"Type": "String", "Default": "", "NoEcho": true},
    "Development": {"Type": "String", "Default": "No"}
  },
  "Resources": {
    "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/rack-test/${AWS::StackName}/${Version}/${Development}"}}}` + extra + `
  },
  "Outputs": {"Secret": {"Value": {"Ref": "Password"}}}
}`
}

// TestRackStackOnEmulator takes a rack's own stack through the API's
// changes on the emulator: parameters, a retried request, a change that
// changes nothing, a version from the artifacts bucket, and a version that
// is not there.
func TestRackStackOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	client := cloudformation.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	name := emulatortest.Name("r")
	r := NewRack(client, name)
	r.Poll = 20 * time.Millisecond

	_, err := r.RackStack(ctx)
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)

	// Tagged as a rack: an uninstall running meanwhile keeps the artifacts
	// bucket while a rack is left.
	_, err = client.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(rackTemplate("")),
		Parameters:   parameters(map[string]string{"Password": "hunter2", "CodeBucket": "b", "CodePrefix": "p/"}),
		Tags:         tags(map[string]string{names.TagRack: name, names.TagType: names.TagTypeRack}),
	})
	emulatortest.Created(t, err)
	t.Cleanup(func() {
		_, _ = client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)})
	})
	st := waitSettled(t, ctx, r)
	require.Equal(t, "CREATE_COMPLETE", st.Status)
	require.Equal(t, "****", st.Parameters["Password"])
	require.Equal(t, "No", st.Parameters["Development"])
	require.True(t, strings.HasPrefix(st.ID, "arn:"), st.ID)

	// Parameters: a change set on the same template, the others kept.
	u := rack.RackStackUpdate{StackID: st.ID, Revision: st.Revision, Values: map[string]string{"Development": "Yes"},
		Keep: []string{"Architecture", "CodeBucket", "CodePrefix", "Password", "Version"}}
	changes, err := r.ChangeRackStack(ctx, u)
	require.NoError(t, err)
	require.Equal(t, []rack.StackChange{{Action: "Modify", LogicalID: "Logs", Type: "AWS::Logs::LogGroup", Replacement: "Conditional"}}, changes)
	after := waitSettled(t, ctx, r)
	require.Equal(t, "UPDATE_COMPLETE", after.Status)
	require.Equal(t, "Yes", after.Parameters["Development"])
	require.Equal(t, "hunter2", after.Outputs["Secret"], "the NoEcho value is kept, not replaced by its mask")

	// The same request again (its answer lost): no second change.
	again, err := r.ChangeRackStack(ctx, u)
	require.NoError(t, err)
	require.Equal(t, changes, again)
	require.Equal(t, after.Revision, waitSettled(t, ctx, r).Revision, "the stack was not changed again")

	// The same values on the changed stack: nothing to change.
	u.Revision = after.Revision
	changes, err = r.ChangeRackStack(ctx, u)
	require.NoError(t, err)
	require.Empty(t, changes)
	require.NotNil(t, changes)
	require.Equal(t, after.Revision, waitSettled(t, ctx, r).Revision)

	// A version the installer uploaded: its template, with a new resource
	// and where its code is in the defaults, in the artifacts bucket.
	a, err := arn.Parse(st.ID)
	require.NoError(t, err)
	version := emulatortest.Name("v")
	_, err = r.RackTemplate(ctx, st.ID, version, "arm64")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
	require.Contains(t, err.Error(), "no template at s3://"+names.ArtifactsBucket(a.AccountID, a.Region)+"/versions/"+version+"/arm64/rack.json")

	bucket := names.ArtifactsBucket(a.AccountID, a.Region)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	emulatortest.Created(t, err)
	key := names.ArtifactsTemplate(version, "arm64")
	v2 := strings.Replace(rackTemplate(`,
    "More": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/rack-test/${AWS::StackName}/more"}}}`),
		`"CodePrefix": {"Type": "String", "Default": ""}`, `"CodePrefix": {"Type": "String", "Default": "versions/`+version+`/arm64/abc/"}`, 1)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(v2)})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = s3c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	})
	tmpl, err := r.RackTemplate(ctx, st.ID, version, "arm64")
	require.NoError(t, err)
	require.Equal(t, names.ArtifactsURL(a.AccountID, a.Region, key), tmpl.URL)
	require.Equal(t, "versions/"+version+"/arm64/abc/", tmpl.Parameters["CodePrefix"])
	require.Contains(t, tmpl.Parameters, "Development")

	st = waitSettled(t, ctx, r)
	changes, err = r.ChangeRackStack(ctx, rack.RackStackUpdate{
		StackID: st.ID, Revision: st.Revision, TemplateURL: tmpl.URL,
		Values: map[string]string{"Version": version, "CodePrefix": tmpl.Parameters["CodePrefix"]},
		Keep:   []string{"Architecture", "CodeBucket", "Development", "Password"},
	})
	require.NoError(t, err)
	require.Contains(t, changes, rack.StackChange{Action: "Add", LogicalID: "More", Type: "AWS::Logs::LogGroup"})
	after = waitSettled(t, ctx, r)
	require.Equal(t, "UPDATE_COMPLETE", after.Status)
	require.Equal(t, version, after.Parameters["Version"])
	require.Equal(t, "Yes", after.Parameters["Development"])
	require.Equal(t, "hunter2", after.Outputs["Secret"])
}

// waitSettled polls the rack's stack until no operation is in progress.
func waitSettled(t *testing.T, ctx context.Context, r *Rack) rack.RackStack {
	t.Helper()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		st, err := r.RackStack(ctx)
		require.NoError(t, err)
		if !strings.HasSuffix(st.Status, "_IN_PROGRESS") {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("rack stack still %s: %v", st.Status, ctx.Err())
		case <-tick.C:
		}
	}
}
