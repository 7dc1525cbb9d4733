//go:build e2e

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/examples"
	"github.com/rackhq/rack/pkg/wire/local"
)

// TestRackOnTheEmulator installs the synthesized rack stack on the emulator
// with the built convox binary, drives it through API Gateway and the api
// function as a user would, and uninstalls it, leaving nothing behind.
// scripts/e2e builds what it needs (make build synth) and runs it.
func TestRackOnTheEmulator(t *testing.T) {
	endpoint := emulatortest.Endpoint(t)
	template, code, arch := os.Getenv("RACK_E2E_TEMPLATE"), os.Getenv("RACK_E2E_CODE"), os.Getenv("RACK_E2E_ARCH")
	require.NotEmpty(t, template, "RACK_E2E_TEMPLATE: scripts/e2e sets it")
	bin := t.TempDir()
	convox := filepath.Join(bin, "convox")
	for out, pkg := range map[string]string{convox: ".", filepath.Join(bin, "convox-aws"): "./convox-aws"} {
		// Built as make builds them (-trimpath, no cgo): a cold run compiles
		// their packages once.
		build := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		output, err := build.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, output)
	}

	name := emulatortest.Name("e2e")
	config := t.TempDir()
	user := binary{t: t, path: convox, env: append(awsEnv(endpoint), "CONVOX_CONFIG="+config)}
	ok := user.ok

	// A webhook of the rack's: the notifications function, a process of
	// the emulator's on this machine, posts the rack's events to it.
	hook := &webhook{}
	receiver := httptest.NewServer(hook)
	defer receiver.Close()

	stdout, _ := ok("rack", "install", "aws", "-n", name, "--arch", arch, "--template", template, "--code", code,
		"--password", "e2e-password", "-v", "e2e", "Webhooks="+receiver.URL+"/hook")
	hostFile, err := os.ReadFile(filepath.Join(config, "host"))
	require.NoError(t, err)
	host := string(hostFile)
	require.Regexp(t, `^http://.+/_aws/execute-api/[^/]+/\$default$`, host)
	require.Contains(t, stdout, "AWS::CloudFormation::Stack", "stack events are shown")
	require.True(t, strings.HasSuffix(stdout, "Rack "+name+" is installed at "+host+"\n"), stdout)

	// Convox's conventions, on the installed rack.
	stdout, _ = ok("-v")
	require.Equal(t, "dev\n", stdout)
	stdout, _ = ok("version")
	require.Equal(t, "client: dev\nserver: e2e ("+strings.TrimPrefix(endpoint, "http://")+")\n", stdout)
	stdout, _ = ok("racks")
	require.Equal(t, fmt.Sprintf("NAME%s  STATUS\n%s  running\n", strings.Repeat(" ", len(name)-4), name), stdout)
	stdout, _ = ok("switch")
	require.Equal(t, name+"\n", stdout)
	stdout, _ = ok("switch", name)
	require.Equal(t, "Switched to "+name+"\n", stdout)

	stdout, _ = ok("rack", "--json")
	var sys struct{ Name, Status, Version string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &sys))
	require.Equal(t, name, sys.Name)
	require.Equal(t, "running", sys.Status)
	require.Equal(t, "e2e", sys.Version)

	// The stack's outputs as the environment of a local API.
	exported, err := exec.Command("../scripts/export-env", name).Output()
	require.NoError(t, err)
	for _, v := range []string{"RACK_NAME=" + name, "RACK_TABLE=" + name, "RACK_KEY=", "RACK_EVENT_BUS=" + name + "-events", "RACK_VERSION=e2e", "AWS_ENDPOINT_URL=" + endpoint} {
		require.Contains(t, string(exported), v)
	}

	// The emulator emits no stack events: the test plays CloudFormation's
	// part and delivers them to the releases function as AWS would.
	stopEvents := emitStackEvents(t, name)
	stopSweeps := sweepBuilds(t, name)
	defer stopSweeps()
	defer stopEvents()

	stdout, _ = ok("apps", "create", "myapp", "--wait")
	require.Equal(t, "Creating myapp... OK\n", stdout)
	hook.await(t, "app:create success myapp")
	stdout, _ = ok("apps")
	require.Equal(t, "APP    STATUS   RELEASE\nmyapp  running  \n", stdout)

	stdout, _ = ok("env", "set", "A=1", "B=x=y", "-a", "myapp")
	require.Regexp(t, regexp.MustCompile(`^Setting A, B\.\.\. OK\nRelease: R[A-Z]{10}\n$`), stdout)
	stdout, _ = ok("env", "-a", "myapp")
	require.Equal(t, "A=1\nB=x=y\n", stdout)

	buildThroughTheRack(t, user, hook, name, host)

	// The app of a project directory: .convox/app, else the directory's name.
	project := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, os.MkdirAll(filepath.Join(project, ".convox"), 0o755))
	inProject := user
	inProject.dir = project
	_, stderr, exit := inProject.run("", "env")
	require.Equal(t, 1, exit)
	require.Equal(t, "ERROR: app not found: checkout\n", stderr)
	require.NoError(t, os.WriteFile(filepath.Join(project, ".convox", "app"), []byte("myapp\n"), 0o644))
	stdout, _ = inProject.ok("env")
	require.Equal(t, "A=1\nB=x=y\n", stdout)

	// The rack by RACK_URL alone, and by CONVOX_RACK among the racks logged
	// in to when none is current.
	bare := binary{t: t, path: convox, env: []string{"CONVOX_CONFIG=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}}
	_, stderr, exit = bare.run("", "apps")
	require.Equal(t, 1, exit)
	require.Equal(t, "ERROR: no racks found, try `convox login`\n", stderr)
	withURL := bare
	withURL.env = append(slices.Clone(bare.env), "RACK_URL="+strings.Replace(host, "http://", "http://convox:e2e-password@", 1))
	stdout, _ = withURL.ok("apps")
	require.Equal(t, "APP    STATUS   RELEASE\nmyapp  running  \n", stdout)
	require.NoError(t, os.Remove(filepath.Join(config, "host")))
	_, stderr, exit = user.run("", "apps")
	require.Equal(t, 1, exit)
	require.Equal(t, "ERROR: no racks found, try `convox login`\n", stderr)
	byName := user
	byName.env = append(slices.Clone(user.env), "CONVOX_RACK="+name)
	stdout, _ = byName.ok("apps")
	require.Equal(t, "APP    STATUS   RELEASE\nmyapp  running  \n", stdout)
	stdout, _ = ok("switch", name)
	require.Equal(t, "Switched to "+name+"\n", stdout)
	hook.await(t, "release:create success myapp")
	stdout, _ = ok("releases", "-a", "myapp")
	require.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), 3, stdout)
	require.Contains(t, stdout, "env add:A,B")
	require.Contains(t, stdout, "twenty megabytes", "the build's release, described as its build")

	// The rack's parameters through its API, with its password alone: no
	// AWS credentials or endpoint in the environment.
	noAWS := binary{t: t, path: convox, env: []string{"CONVOX_CONFIG=" + config, "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}}
	stdout, _ = noAWS.ok("rack", "params", "--json")
	var params map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &params))
	require.Equal(t, arch, params["Architecture"])
	require.Equal(t, "Yes", params["PointInTimeRecovery"])
	stdout, _ = noAWS.ok("rack", "params", "set", "PointInTimeRecovery=No", "--wait")
	require.True(t, strings.HasPrefix(stdout, "Updating parameters... \n"), stdout)
	require.True(t, strings.HasSuffix(stdout, "\nOK\n"), stdout)
	require.Contains(t, stdout, "Modify ", "the change set is shown")
	stdout, _ = noAWS.ok("rack", "params", "--json")
	require.NoError(t, json.Unmarshal([]byte(stdout), &params))
	require.Equal(t, "No", params["PointInTimeRecovery"])
	require.Equal(t, arch, params["Architecture"], "other values are kept")
	stdout, _ = ok("apps")
	require.Contains(t, stdout, "myapp", "the rack still answers after the update")

	// The emulator emits no ECS events: put the documented shape on the
	// default bus, as ECS would, and hear it at the webhook.
	putContainerInstanceChange(t, name)
	hook.await(t, "instance:unhealthy error ")

	stdout, _ = ok("apps", "delete", "myapp", "--wait")
	require.Equal(t, "Deleting myapp... OK\n", stdout)
	hook.await(t, "app:delete success myapp")

	// Stacks the rack did not make are left alone: one named as app stacks
	// were named before (<rack>-<app>), and one named as the app's stack
	// would be, without the rack's tags.
	lookalike, intruder := name+"-victim", names.AppStack(name, "intruder")
	foreignStack(t, lookalike)
	foreignStack(t, intruder)
	ok("apps", "create", "victim", "--wait")
	ok("apps", "delete", "victim", "--wait")
	requireStackStatus(t, lookalike, cftypes.StackStatusCreateComplete)
	stdout, stderr, exit = user.run("", "apps", "create", "intruder")
	require.Equal(t, 1, exit)
	require.Equal(t, "Creating intruder... ", stdout)
	require.Equal(t, "ERROR: the stack "+intruder+" exists and was not made by rack "+name+
		" for app intruder (its tags say otherwise); the rack leaves it alone\n", stderr)
	stdout, _ = ok("apps")
	require.Equal(t, "APP  STATUS  RELEASE\n", stdout, "nothing recorded")
	requireStackStatus(t, intruder, cftypes.StackStatusCreateComplete)
	deleteStack(t, lookalike)
	deleteStack(t, intruder)

	deployThroughTheRack(t, user, hook, name)

	// An app left behind is deleted with the rack. The sweeps stop first:
	// the builds function goes with the rack.
	stopSweeps()
	ok("apps", "create", "leftover", "--wait")
	// Without a terminal, uninstall asks for --force, as Convox does.
	stdout, stderr, exit = user.run("", "rack", "uninstall", "aws", name)
	require.Equal(t, 1, exit)
	require.Equal(t, "", stdout)
	require.Equal(t, "ERROR: must use --force for non-interactive uninstall\n", stderr)
	requireStackStatus(t, name, cftypes.StackStatusUpdateComplete)
	stdout, _ = ok("rack", "uninstall", "aws", name, "--force")
	// The apps (site, deployed, with its services behind the router), the
	// router, the rack.
	doomed := regexp.MustCompile(`^The following stacks will be deleted:\n  (\S+)\n  (\S+)\n  (\S+)\n  (\S+)\n`).FindStringSubmatch(stdout)
	require.NotNil(t, doomed, stdout)
	require.ElementsMatch(t, []string{names.AppStack(name, "leftover"), names.AppStack(name, "site")}, doomed[1:3], stdout)
	require.Equal(t, []string{names.RouterStack(name), name}, doomed[3:5], stdout)
	require.True(t, strings.HasSuffix(stdout, "Rack "+name+" is uninstalled\n"), stdout)
	stdout, _ = ok("racks")
	require.Equal(t, "NAME  STATUS\n", stdout, "an uninstalled rack is forgotten")
	nothingLeft(t, name)
}

// foreignStack makes a stack the rack did not make, as a user of the AWS
// CLI would: a log group, no tags.
func foreignStack(t *testing.T, stack string) {
	t.Helper()
	template := `{"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/foreign/` + stack + `"}}}}`
	_, err := cloudformation.NewFromConfig(emulatortest.Config(t)).CreateStack(context.Background(),
		&cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(template)})
	emulatortest.Created(t, err)
	requireStackStatus(t, stack, cftypes.StackStatusCreateComplete)
}

// requireStackStatus waits for stack to reach status.
func requireStackStatus(t *testing.T, stack string, status cftypes.StackStatus) {
	t.Helper()
	client := cloudformation.NewFromConfig(emulatortest.Config(t))
	var last cftypes.StackStatus
	require.Eventually(t, func() bool {
		out, err := client.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err != nil || len(out.Stacks) == 0 {
			return false
		}
		last = out.Stacks[0].StackStatus
		return last == status
	}, 30*time.Second, 50*time.Millisecond, "stack %s is %s, not %s", stack, last, status)
}

func deleteStack(t *testing.T, stack string) {
	t.Helper()
	_, err := cloudformation.NewFromConfig(emulatortest.Config(t)).DeleteStack(context.Background(),
		&cloudformation.DeleteStackInput{StackName: aws.String(stack)})
	require.NoError(t, err)
}

// rackFunction is the physical name of the rack's function whose logical
// id starts with prefix ("Releases", "Instances").
func rackFunction(t *testing.T, rackName, prefix string) string {
	t.Helper()
	return rackResource(t, rackName, "AWS::Lambda::Function", prefix)
}

// emitStackEvents does what CloudFormation does on AWS and the emulator
// does not (local.StackEvents): each new status of one of the rack's app
// stacks goes to its releases function as the documented event. The rule's
// pattern is checked by the CDK tests. It returns a function that stops it.
func emitStackEvents(t *testing.T, rackName string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- local.StackEvents(ctx, emulatortest.Config(t), rackName, 100*time.Millisecond, slog.New(slog.NewTextHandler(t.Output(), nil)))
	}()
	return func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// putContainerInstanceChange delivers an "ECS Container Instance State
// Change" of an active instance whose agent disconnected, in the rack's
// cluster, to the instances function as EventBridge would. The emulator
// emits no ECS events and, like AWS, refuses aws.* sources from PutEvents,
// so the rule's pattern is checked by the CDK tests, and this drives the
// function and everything after it.
func putContainerInstanceChange(t *testing.T, rackName string) {
	t.Helper()
	ctx := context.Background()
	cfg := emulatortest.Config(t)
	resources, err := cloudformation.NewFromConfig(cfg).DescribeStackResources(ctx,
		&cloudformation.DescribeStackResourcesInput{StackName: aws.String(rackName)})
	require.NoError(t, err)
	var cluster string
	for _, r := range resources.StackResources {
		if aws.ToString(r.ResourceType) == "AWS::ECS::Cluster" {
			cluster = aws.ToString(r.PhysicalResourceId)
		}
	}
	require.NotEmpty(t, cluster)
	function := rackFunction(t, rackName, "Instances")
	clusters, err := ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	require.NoError(t, err)
	require.Len(t, clusters.Clusters, 1)
	event, err := json.Marshal(map[string]any{
		"version": "0", "id": "e2e-container-instance", "source": "aws.ecs",
		"detail-type": "ECS Container Instance State Change", "time": time.Now().UTC().Format(time.RFC3339),
		"detail": map[string]any{
			"agentConnected": false, "status": "ACTIVE", "ec2InstanceId": "i-0123456789abcdef0",
			"clusterArn": aws.ToString(clusters.Clusters[0].ClusterArn),
		},
	})
	require.NoError(t, err)
	out, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: event})
	require.NoError(t, err)
	require.Empty(t, aws.ToString(out.FunctionError), "%s", out.Payload)
}

// webhook records the rack events posted to it.
type webhook struct {
	mu  sync.Mutex
	got []string // "action status app"
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var ev struct {
		Action, Status string
		Data           map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.got = append(w.got, ev.Action+" "+ev.Status+" "+ev.Data["app"])
	w.mu.Unlock()
}

// await waits until the webhook has received event.
func (w *webhook) await(t *testing.T, event string) {
	t.Helper()
	received := func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		return slices.Clone(w.got)
	}
	require.Eventually(t, func() bool { return slices.Contains(received(), event) }, 30*time.Second, 50*time.Millisecond,
		"the webhook never received %q", event)
}

// nothingLeft checks the emulator holds no stack, bucket, table or
// function of the rack.
func nothingLeft(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	cfg := emulatortest.Config(t)
	stacks, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	require.NoError(t, err)
	for _, s := range stacks.Stacks {
		require.False(t, strings.HasPrefix(aws.ToString(s.StackName), name), "stack %s left (%s)", aws.ToString(s.StackName), s.StackStatus)
	}
	buckets, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	for _, b := range buckets.Buckets {
		bn := aws.ToString(b.Name)
		require.False(t, strings.HasPrefix(bn, name) || strings.HasPrefix(bn, "rack-artifacts-"), "bucket %s left", bn)
	}
	tables, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	for _, tn := range tables.TableNames {
		require.False(t, strings.HasPrefix(tn, name), "table %s left", tn)
	}
	fns, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	require.NoError(t, err)
	for _, f := range fns.Functions {
		require.False(t, strings.HasPrefix(aws.ToString(f.FunctionName), name), "function %s left", aws.ToString(f.FunctionName))
	}
}

// sweepBuilds does what the rack's one-minute rule does, every 200 ms
// (local.BuildSweeps): the builds function's sweep completes the builds
// the emulator's CodeBuild reports done (it emits no state events). It
// returns a function that stops it.
func sweepBuilds(t *testing.T, rackName string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- local.BuildSweeps(ctx, emulatortest.Config(t), rackName, 200*time.Millisecond, slog.New(slog.NewTextHandler(t.Output(), nil)))
	}()
	return sync.OnceFunc(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// buildThroughTheRack builds the two-service example, with 20 MB of
// incompressible data beside it, through API Gateway and the rack's
// functions: the source goes to the rack's bucket with a presigned PUT
// (API Gateway takes at most 10 MB, and the API 1 MB), the build starts
// on CodeBuild, the sweep completes it, and the release carries the
// manifest.
func buildThroughTheRack(t *testing.T, user binary, hook *webhook, rackName, host string) {
	t.Helper()
	dir := t.TempDir()
	example := examples.Path("web-worker")
	require.NoError(t, os.CopyFS(dir, os.DirFS(example)))
	big := make([]byte, 20<<20)
	_, _ = rand.Read(big)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "assets.bin"), big, 0o644))

	start := time.Now()
	stdout, _ := user.ok("build", dir, "-a", "myapp", "-d", "twenty megabytes")
	took := time.Since(start)
	m := regexp.MustCompile(`^Packaging source\.\.\. OK\nUploading source\.\.\. OK\nStarting build\.\.\. OK\nBuild:   (B[A-Z]{10})\nRelease: (R[A-Z]{10})\n$`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	build, release := m[1], m[2]
	hook.await(t, "build:create success myapp")
	t.Logf("figure: convox build of %d MB, to its release, through the rack on the emulator: %s", len(big)>>20, took.Round(time.Millisecond))

	// The source is in the rack's bucket, whole.
	cfg := emulatortest.Config(t)
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := stackOutput(t, rackName, names.OutputBucketName)
	listed, err := objects.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("sources/myapp/")})
	require.NoError(t, err)
	require.Len(t, listed.Contents, 1)
	require.Greater(t, aws.ToInt64(listed.Contents[0].Size), int64(20<<20), "the source, not through the API")

	stdout, _ = user.ok("builds", "-a", "myapp")
	require.Regexp(t, `\n`+build+`  complete  `+release+`  .*  twenty megabytes\n$`, stdout)
	stdout, _ = user.ok("api", "get", "/apps/myapp/releases/"+release)
	var r struct{ Build, Manifest string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	want, err := os.ReadFile(filepath.Join(example, "convox.yml"))
	require.NoError(t, err)
	require.Equal(t, build, r.Build)
	require.Equal(t, string(want), r.Manifest)
	hook.await(t, "release:create success myapp")

	// Upload throughput: the same PUT the CLI makes, timed alone.
	client, err := sdk.New(host, "e2e-password")
	require.NoError(t, err)
	up, err := client.SourceUploadCreate(context.Background(), "myapp")
	require.NoError(t, err)
	start = time.Now()
	req, err := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(big))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	took = time.Since(start)
	t.Logf("figure: upload of %d MB to the rack's bucket on the emulator: %s (%.0f MB/s)", len(big)>>20, took.Round(time.Millisecond), float64(len(big))/1e6/took.Seconds())
}

// stackOutput reads an output of the rack's stack.
func stackOutput(t *testing.T, rackName, key string) string {
	t.Helper()
	out, err := cloudformation.NewFromConfig(emulatortest.Config(t)).DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(rackName)})
	require.NoError(t, err)
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == key {
			return aws.ToString(o.OutputValue)
		}
	}
	t.Fatalf("rack %s has no output %s", rackName, key)
	return ""
}
