package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	rackkms "github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/trigger/customresource"
)

// clients are the emulator's services a stack test uses.
type clients struct {
	s3     *s3.Client
	db     *dynamodb.Client
	cfn    *cloudformation.Client
	lambda *lambda.Client
	kms    *kms.Client
}

// TestStackOnEmulator deploys this function to the emulator and takes a
// stack holding every custom resource type through create, update and
// delete, with objects in its buckets and images in its repository; and a
// stack with an unknown type through its failed create.
func TestStackOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	c := clients{
		s3: s3.NewFromConfig(cfg), db: dynamodb.NewFromConfig(cfg),
		cfn: cloudformation.NewFromConfig(cfg), lambda: lambda.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	rackName := emulatortest.Name("rack")
	tableName := emulatortest.NewTable(t, c.db)
	key, err := c.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("custom resources stack test")})
	require.NoError(t, err)
	fn := deploy(t, ctx, c, map[string]string{
		names.EnvRack: rackName, names.EnvTable: tableName, names.EnvKey: aws.ToString(key.KeyMetadata.KeyId),
		names.EnvVersion: "1", "AWS_ENDPOINT_URL": emulatortest.Endpoint(t),
	})
	store := dynamo.New(c.db, tableName, nil)
	hashes := auth.NewSettingHashes(store, rackkms.New(c.kms, aws.ToString(key.KeyMetadata.KeyId)))

	bucket, retained := emulatortest.Name("cr-data"), emulatortest.Name("cr-kept")
	stack := rackName + "-resources"
	t.Cleanup(func() {
		// Whatever the test left: the stack, the retained bucket.
		_, _ = c.cfn.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
		_, _ = c.s3.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(retained)})
	})
	template := stackTemplate(t, fn, bucket, retained)

	start := time.Now()
	stackID := createStack(t, ctx, c.cfn, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(template),
		Parameters:   []cftypes.Parameter{{ParameterKey: aws.String("Version"), ParameterValue: aws.String("1")}},
	})
	s := waitStack(t, ctx, c.cfn, stackID, cftypes.StackStatusCreateComplete)
	t.Logf("CREATE_COMPLETE after %s", time.Since(start).Round(time.Millisecond))

	// The password: generated, its hash sealed in the rack table.
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	hash, err := hashes.PasswordHash(ctx)
	require.NoError(t, err)
	if password := outputs["Password"]; password != "****" {
		// AWS masks a NoEcho custom resource's attributes; the emulator does
		// not, which lets the test check the hash against the password.
		require.NoError(t, bcrypt.CompareHashAndPassword(hash, []byte(password)))
	}
	require.Equal(t, "1", outputs["Migrated"])

	// Fill the buckets (versions and delete markers).
	for _, b := range []string{bucket, retained} {
		for i := range 12 {
			k := fmt.Sprintf("builds/%02d.tgz", i)
			for _, body := range []string{"one", "two"} {
				_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: strings.NewReader(body)})
				require.NoError(t, err)
			}
			if i%3 == 0 {
				_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
				require.NoError(t, err)
			}
		}
	}

	// A new version runs the migrations, and replaces nothing.
	start = time.Now()
	_, err = c.cfn.UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName:    aws.String(stackID),
		TemplateBody: aws.String(template),
		Parameters:   []cftypes.Parameter{{ParameterKey: aws.String("Version"), ParameterValue: aws.String("2")}},
	})
	if err != nil {
		// As with CreateStack, a retried UpdateStack can fail where its
		// first attempt got through: then the stack has the new version.
		d, derr := c.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackID)})
		require.NoError(t, derr)
		require.Len(t, d.Stacks, 1)
		version := ""
		for _, p := range d.Stacks[0].Parameters {
			if aws.ToString(p.ParameterKey) == "Version" {
				version = aws.ToString(p.ParameterValue)
			}
		}
		require.Equal(t, "2", version, "update: %v", err)
		t.Logf("UpdateStack was retried: %v", err)
	}
	s = waitStack(t, ctx, c.cfn, stackID, cftypes.StackStatusUpdateComplete)
	t.Logf("UPDATE_COMPLETE after %s", time.Since(start).Round(time.Millisecond))
	for _, o := range s.Outputs {
		if aws.ToString(o.OutputKey) == "Migrated" {
			require.Equal(t, "2", aws.ToString(o.OutputValue))
		}
	}
	after, err := hashes.PasswordHash(ctx)
	require.NoError(t, err)
	require.Equal(t, hash, after, "the password did not change")

	start = time.Now()
	_, err = c.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stackID)})
	require.NoError(t, err)
	waitStack(t, ctx, c.cfn, stackID, cftypes.StackStatusDeleteComplete)
	t.Logf("DELETE_COMPLETE after %s", time.Since(start).Round(time.Millisecond))

	_, err = c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	require.Error(t, err, "the stack's bucket is deleted")
	versions, err := c.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(retained)})
	require.NoError(t, err, "the retained bucket stays")
	require.Empty(t, versions.Versions, "but is emptied")
	require.Empty(t, versions.DeleteMarkers)

	// However often each request was delivered (the emulator re-serves an
	// event, the SDK retries, a retried DeleteStack sends a second round of
	// Deletes with new request ids), each side effect happened once: the
	// hash was written once (the update kept it), each migration ran once
	// per version, and no request was left half-answered.
	setting, err := store.GetSetting(ctx, names.PasswordHashSetting)
	require.NoError(t, err)
	require.Equal(t, int64(1), setting.Version, "the password hash was written once")
	requireAnswersDone(t, ctx, c.db, tableName)

	t.Run("unknown type", func(t *testing.T) {
		name := rackName + "-unknown"
		start := time.Now()
		id := createStack(t, ctx, c.cfn, &cloudformation.CreateStackInput{
			StackName:    aws.String(name),
			TemplateBody: aws.String(mustJSON(t, map[string]any{"Resources": map[string]any{"Odd": map[string]any{"Type": "Custom::Odd", "Properties": map[string]any{"ServiceToken": fn, "ServiceTimeout": "60"}}}})),
			OnFailure:    cftypes.OnFailureDelete,
		})
		t.Cleanup(func() {
			_, _ = c.cfn.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)})
		})
		s := waitStack(t, ctx, c.cfn, id, cftypes.StackStatusDeleteComplete, cftypes.StackStatusRollbackComplete, cftypes.StackStatusCreateFailed)
		t.Logf("%s after %s: %s", s.StackStatus, time.Since(start).Round(time.Millisecond), aws.ToString(s.StackStatusReason))
		events, err := c.cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: s.StackId})
		require.NoError(t, err)
		var reasons []string
		for _, e := range events.StackEvents {
			reasons = append(reasons, aws.ToString(e.ResourceStatusReason))
		}
		require.Contains(t, strings.Join(reasons, "\n"), `unknown resource type "Custom::Odd"`)
	})
}

// stackTemplate is a stack with each custom resource type: a versioned
// bucket and a retained one to empty, the password and the migrations.
func stackTemplate(t *testing.T, fn, bucket, retained string) string {
	custom := func(typ string, props map[string]any) map[string]any {
		props["ServiceToken"] = fn
		// A function that never answers fails the test in a minute, not
		// the default hour.
		props["ServiceTimeout"] = "60"
		return map[string]any{"Type": typ, "Properties": props}
	}
	versioned := map[string]any{"Status": "Enabled"}
	return mustJSON(t, map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Parameters":               map[string]any{"Version": map[string]any{"Type": "String"}},
		"Resources": map[string]any{
			"Data":         map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{"BucketName": bucket, "VersioningConfiguration": versioned}},
			"DataCleanup":  custom(customresource.TypeEmptyBucket, map[string]any{"BucketName": map[string]any{"Ref": "Data"}}),
			"Kept":         map[string]any{"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": map[string]any{"BucketName": retained, "VersioningConfiguration": versioned}},
			"KeptCleanup":  custom(customresource.TypeEmptyBucket, map[string]any{"BucketName": map[string]any{"Ref": "Kept"}, "MaxKeysPerBatch": 5}),
			"RackPassword": custom(customresource.TypeRackPassword, map[string]any{}),
			"Migration":    custom(customresource.TypeRackMigration, map[string]any{"Version": map[string]any{"Ref": "Version"}}),
		},
		"Outputs": map[string]any{
			"Password": map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"RackPassword", customresource.AttributePassword}}},
			"Migrated": map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"Migration", "Version"}}},
		},
	})
}

// deploy builds this function as the Lambda zip the rack ships, uploads
// it and creates the function with env; it returns the function's ARN.
func deploy(t *testing.T, ctx context.Context, c clients, env map[string]string) string {
	t.Helper()
	start := time.Now()
	code := buildZip(t, ctx)
	t.Logf("built the function, %d KB zipped, in %s", len(code)>>10, time.Since(start).Round(time.Millisecond))

	codeBucket := emulatortest.Name("cr-code")
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(codeBucket)})
	emulatortest.Created(t, err)
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(codeBucket), Key: aws.String("customresources.zip"), Body: bytes.NewReader(code)})
	require.NoError(t, err)
	t.Cleanup(func() {
		bg := context.Background()
		_, _ = c.s3.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(codeBucket), Key: aws.String("customresources.zip")})
		_, _ = c.s3.DeleteBucket(bg, &s3.DeleteBucketInput{Bucket: aws.String(codeBucket)})
	})

	arch := lambdatypes.ArchitectureX8664
	if runtime.GOARCH == "arm64" {
		arch = lambdatypes.ArchitectureArm64
	}
	name := emulatortest.Name("customresources")
	out, err := c.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Runtime:       lambdatypes.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Architectures: []lambdatypes.Architecture{arch},
		Role:          aws.String("arn:aws:iam::000000000000:role/customresources"),
		Code:          &lambdatypes.FunctionCode{S3Bucket: aws.String(codeBucket), S3Key: aws.String("customresources.zip")},
		Timeout:       aws.Int32(30),
		MemorySize:    aws.Int32(256),
		Environment:   &lambdatypes.Environment{Variables: env},
	})
	emulatortest.Created(t, err)
	t.Cleanup(func() {
		_, _ = c.lambda.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	})
	require.NoError(t, lambda.NewFunctionActiveV2Waiter(c.lambda).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute))
	if out != nil {
		return aws.ToString(out.FunctionArn)
	}
	got, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(got.Configuration.FunctionArn)
}

// buildZip builds this package as a provided.al2023 bootstrap and zips it.
func buildZip(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the test builds the function with the go command")
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.CommandContext(ctx, goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	binary, err := os.ReadFile(bin)
	require.NoError(t, err)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	_, err = w.Write(binary)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// createStack creates a stack and returns its id. The emulator closes idle
// connections, so the SDK may retry a CreateStack whose first attempt got
// through, and the emulator ignores ClientRequestToken: an
// AlreadyExistsException for the fresh name is that first attempt.
func createStack(t *testing.T, ctx context.Context, client *cloudformation.Client, in *cloudformation.CreateStackInput) string {
	t.Helper()
	out, err := client.CreateStack(ctx, in)
	var exists *cftypes.AlreadyExistsException
	if errors.As(err, &exists) {
		t.Logf("CreateStack was retried: %v", err)
		d, derr := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: in.StackName})
		require.NoError(t, derr)
		require.Len(t, d.Stacks, 1)
		return aws.ToString(d.Stacks[0].StackId)
	}
	require.NoError(t, err)
	return aws.ToString(out.StackId)
}

// waitStack polls a stack until it reaches one of want, and fails on any
// other settled status.
func waitStack(t *testing.T, ctx context.Context, client *cloudformation.Client, stack string, want ...cftypes.StackStatus) cftypes.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		require.NoError(t, err)
		require.Len(t, out.Stacks, 1)
		s := out.Stacks[0]
		for _, w := range want {
			if s.StackStatus == w {
				return s
			}
		}
		status := string(s.StackStatus)
		if !strings.HasSuffix(status, "_IN_PROGRESS") {
			events, _ := client.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
			var lines []string
			if events != nil {
				for _, e := range events.StackEvents {
					lines = append(lines, fmt.Sprintf("%s %s %s", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason)))
				}
			}
			t.Fatalf("stack %s is %s (%s), want %v; events:\n%s", stack, status, aws.ToString(s.StackStatusReason), want, strings.Join(lines, "\n"))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("stack %s still %s: %v", stack, status, ctx.Err())
		case <-tick.C:
		}
	}
}

// requireAnswersDone checks that the answer memory holds records, every
// one of them done: no delivery left a request pending.
func requireAnswersDone(t *testing.T, ctx context.Context, db *dynamodb.Client, tableName string) {
	t.Helper()
	n := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                 aws.String(tableName),
		FilterExpression:          aws.String("begins_with(#pk, :p)"),
		ExpressionAttributeNames:  map[string]string{"#pk": names.TablePartitionKey},
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":p": &dbtypes.AttributeValueMemberS{Value: "IDEMPOTENCY#cfn/"}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, item := range page.Items {
			status, _ := item["status"].(*dbtypes.AttributeValueMemberS)
			require.NotNil(t, status)
			require.Equal(t, "done", status.Value)
		}
		n += len(page.Items)
	}
	require.Positive(t, n, "no answer was remembered")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
