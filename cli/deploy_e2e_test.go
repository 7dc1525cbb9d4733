//go:build e2e

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/examples"
	"github.com/rackhq/rack/pkg/wire/local"
)

// sweepReleases does what the rack's one-minute rule does, every 200 ms
// (local.InvokeSweep): the releases function's sweep carries on
// promotions, such as one that waited for the rack's router, whose stack
// events nothing relays. It returns a function that stops it once the
// sweep in flight, if any, has ended: after it returns, no sweep of its
// runs.
func sweepReleases(t *testing.T, rackName string) func() {
	t.Helper()
	fn := lambda.NewFromConfig(emulatortest.Config(t))
	function := rackFunction(t, rackName, "Releases")
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := local.InvokeSweep(context.Background(), fn, function); err != nil {
				t.Logf("releases sweep not delivered: %v", err)
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(stop)
		<-done
	})
}

// stackResources counts app's stack's resources by type.
func stackResources(t *testing.T, rackName, app string) map[string]int {
	t.Helper()
	out, err := cloudformation.NewFromConfig(emulatortest.Config(t)).DescribeStackResources(context.Background(),
		&cloudformation.DescribeStackResourcesInput{StackName: aws.String(names.AppStack(rackName, app))})
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, r := range out.StackResources {
		kinds[aws.ToString(r.ResourceType)]++
	}
	return kinds
}

// stackTemplate is the template app's stack holds.
func stackTemplate(t *testing.T, rackName, app string) string {
	t.Helper()
	out, err := cloudformation.NewFromConfig(emulatortest.Config(t)).GetTemplate(context.Background(),
		&cloudformation.GetTemplateInput{StackName: aws.String(names.AppStack(rackName, app))})
	require.NoError(t, err)
	return aws.ToString(out.TemplateBody)
}

// rackResource is the physical id of the rack stack's resource of type
// kind whose logical id starts with prefix.
func rackResource(t *testing.T, rackName, kind, prefix string) string {
	t.Helper()
	out, err := cloudformation.NewFromConfig(emulatortest.Config(t)).DescribeStackResources(context.Background(),
		&cloudformation.DescribeStackResourcesInput{StackName: aws.String(rackName)})
	require.NoError(t, err)
	for _, r := range out.StackResources {
		if aws.ToString(r.ResourceType) == kind && strings.HasPrefix(aws.ToString(r.LogicalResourceId), prefix) {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	t.Fatalf("rack %s has no %s %s*", rackName, kind, prefix)
	return ""
}

// timedDeploy runs convox deploy and returns its output and how long the
// control plane took: from the upload's end ("Uploading source... OK") to
// the release active (the last line).
func timedDeploy(t *testing.T, user binary, args ...string) (string, time.Duration) {
	t.Helper()
	cmd := exec.Command(user.path, append([]string{"deploy"}, args...)...)
	cmd.Env, cmd.Dir = user.env, user.dir
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	var out strings.Builder
	var uploaded, done time.Time
	lines := bufio.NewReader(stdout)
	for {
		line, err := lines.ReadString('\n')
		out.WriteString(line)
		if strings.HasPrefix(line, "Uploading source... OK") {
			uploaded = time.Now()
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		done = time.Now()
	}
	require.NoError(t, cmd.Wait(), "convox deploy %s:\n%s%s", strings.Join(args, " "), out.String(), stderr.String())
	require.False(t, uploaded.IsZero(), out.String())
	return out.String(), done.Sub(uploaded)
}

// withEnvironment copies example to a new directory and has every service
// of its manifest take the app's whole environment.
func withEnvironment(t *testing.T, example string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(examples.Path(example))))
	manifest := filepath.Join(dir, "convox.yml")
	m, err := os.ReadFile(manifest)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifest, append([]byte("environment:\n  - \"*\"\n"), m...), 0o644))
	return dir
}

var promoted = regexp.MustCompile(`(?s)Promoting (R[A-Z]{10})\.\.\. (.*\n)?OK\n$`)

// deployThroughTheRack deploys example apps through the rack's API and
// functions on the emulator, as a user would with convox: an image-only
// web service (the rack's router is made for it first), two built services
// with a port and a timer, an environment change promoted, a rollback, an
// update a resource fails, and twenty promotions at once. The app site is
// left deployed, for the uninstall to remove with its router.
func deployThroughTheRack(t *testing.T, user binary, hook *webhook, rackName string) {
	t.Helper()
	stopSweeps := sweepReleases(t, rackName)
	defer stopSweeps()
	cfg := emulatortest.Config(t)
	stacks := cloudformation.NewFromConfig(cfg)

	// One image-only web service: the rack has no router yet.
	_, err := stacks.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(names.RouterStack(rackName))})
	require.Error(t, err, "no router before a service with a port")
	user.ok("apps", "create", "site", "--wait")
	stdout, took := timedDeploy(t, user, examples.Path("image-web"), "-a", "site")
	m := promoted.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	site := m[1]
	t.Logf("figure: convox deploy of image-web, the rack's router made first, from upload done to release active: %s", took.Round(time.Millisecond))
	hook.await(t, "release:promote success site")
	stdout, _ = user.ok("apps", "info", "-a", "site")
	require.Contains(t, stdout, "\nRelease     "+site+"\n")
	require.Regexp(t, `\nRouter      \S+\n$`, stdout)
	kinds := stackResources(t, rackName, "site")
	require.Equal(t, 1, kinds["AWS::ECS::TaskDefinition"], "%v", kinds)
	require.Equal(t, 1, kinds["AWS::ECS::Service"], "%v", kinds)
	require.Equal(t, 1, kinds["AWS::ElasticLoadBalancingV2::TargetGroup"], "%v", kinds)
	require.GreaterOrEqual(t, kinds["AWS::ElasticLoadBalancingV2::ListenerRule"], 1, "%v", kinds)
	requireStackStatus(t, names.RouterStack(rackName), cftypes.StackStatusCreateComplete)

	// Scale: a count through ECS at once, kept by the next promotion.
	start := time.Now()
	stdout, _ = user.ok("scale", "web", "--count", "3", "--wait", "-a", "site")
	t.Logf("figure: convox scale web --count 3 --wait, to 3 running on the emulator: %s", time.Since(start).Round(time.Millisecond))
	require.Regexp(t, `^Scaling web\.\.\. \n(.* web deployment .*\n)+OK\n$`, stdout)
	stdout, _ = user.ok("scale", "-a", "site")
	require.Regexp(t, `^SERVICE +DESIRED +RUNNING +CPU +MEMORY\nweb +3 +3 +256 +512\n$`, stdout)
	stdout, _ = user.ok("services", "-a", "site")
	require.Regexp(t, `^SERVICE +DOMAIN +PORTS\nweb +web\.site\.\S+ +80:80\n$`, stdout)
	user.ok("env", "set", "Y=1", "--promote", "--wait", "-a", "site")
	require.Contains(t, stackTemplate(t, rackName, "site"), `"DesiredCount":3`, "the next promotion keeps the count")
	stdout, _ = user.ok("scale", "-a", "site")
	require.Regexp(t, `\nweb +3 +3 +`, stdout)
	user.ok("services", "restart", "web", "-a", "site")

	// Processes: ECS's tasks of the active release, and a one-off run.
	stdout, _ = user.ok("apps", "info", "-a", "site")
	active := regexp.MustCompile(`\nRelease +(R[A-Z]{10})\n`).FindStringSubmatch(stdout)
	require.NotNil(t, active, stdout)
	stdout, _ = user.ok("ps", "-a", "site")
	t.Logf("convox ps on the emulator:\n%s", stdout)
	rows := strings.Split(strings.TrimSpace(stdout), "\n")[1:]
	require.GreaterOrEqual(t, len(rows), 3, "3 tasks of web: %s", stdout)
	webRows := 0
	for _, row := range rows {
		if regexp.MustCompile(`^\S+ +web +\S+ +` + active[1] + ` `).MatchString(row) {
			webRows++
		}
	}
	require.Equal(t, 3, webRows, "3 tasks of the active release: %s", stdout)
	stdout, _ = user.ok("run", "web", "echo", "hello", "--detach", "-a", "site")
	m = regexp.MustCompile(`^Running detached process\.\.\. OK, (\S+)\n$`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	pid := m[1]
	stdout, _ = user.ok("ps", "info", pid, "-a", "site")
	require.Contains(t, stdout, "\nCommand   sh -c echo hello\n")
	stdout, _ = user.ok("ps", "stop", pid, "-a", "site")
	require.Equal(t, "Stopping "+pid+"... OK\n", stdout)

	// Attached: the emulator's tasks never end, so the run's timeout ends
	// it, and stops the task.
	out, stderr, code := user.run("", "run", "web", "sleep", "100", "--timeout", "2", "-a", "site")
	require.Equal(t, 1, code, out)
	m = regexp.MustCompile(`^ERROR: process (\S+): still running after 2s: stopped\n$`).FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)
	_, stderr, code = user.run("", "ps", "info", m[1], "-a", "site")
	if code == 0 {
		stdout, _ = user.ok("ps", "info", m[1], "-a", "site")
		require.Contains(t, stdout, "\nStatus    stopped\n")
	} else {
		require.Equal(t, "ERROR: process not found: "+m[1]+"\n", stderr)
	}

	logsThroughTheRack(t, user, rackName)

	// Two built services, one with a port, and a timer; every service
	// takes the app's whole environment.
	user.ok("apps", "create", "shop", "--wait")
	stdout, took = timedDeploy(t, user, withEnvironment(t, "two-built"), "-a", "shop")
	m = promoted.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	first := m[1]
	t.Logf("figure: convox deploy of two-built (two built services, a port, a timer), the router there, from upload done to release active: %s", took.Round(time.Millisecond))
	kinds = stackResources(t, rackName, "shop")
	require.Equal(t, 2, kinds["AWS::ECS::Service"], "%v", kinds)
	require.Equal(t, 3, kinds["AWS::ECS::TaskDefinition"], "two services and the timer: %v", kinds)
	require.Equal(t, 1, kinds["AWS::ElasticLoadBalancingV2::TargetGroup"], "%v", kinds)
	require.GreaterOrEqual(t, kinds["AWS::ElasticLoadBalancingV2::ListenerRule"], 1, "%v", kinds)
	require.Equal(t, 1, kinds["AWS::Scheduler::Schedule"], "%v", kinds)
	stdout, _ = user.ok("releases", "info", first, "-a", "shop")
	firstBuild := regexp.MustCompile(`\nBuild +(B[A-Z]{10})\n`).FindStringSubmatch(stdout)
	require.NotNil(t, firstBuild, stdout)

	// An environment change promoted: the task definitions name the
	// value's parameter, never the value.
	stdout, _ = user.ok("env", "set", "X=swordfish-42", "--promote", "--wait", "-a", "shop")
	m = regexp.MustCompile(`^Setting X\.\.\. OK\nRelease: (R[A-Z]{10})\nPromoting (R[A-Z]{10})\.\.\. (.*\n)?OK\n$`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	require.Equal(t, m[1], m[2])
	withX := m[1]
	body := stackTemplate(t, rackName, "shop")
	require.Contains(t, body, names.EnvParameter(rackName, "shop", "X", withX), "X by reference")
	require.NotContains(t, body, "swordfish-42")
	stdout, _ = user.ok("apps", "info", "-a", "shop")
	require.Contains(t, stdout, "\nRelease     "+withX+"\n")

	// A rollback: a new release of the first one's build and environment,
	// promoted.
	stdout, _ = user.ok("releases", "rollback", first, "--wait", "-a", "shop")
	m = regexp.MustCompile(`^Rolling back to ` + first + `\.\.\. OK, (R[A-Z]{10})\nPromoting (R[A-Z]{10})\.\.\. (.*\n)?OK\n$`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	require.Equal(t, m[1], m[2])
	rolled := m[1]
	stdout, _ = user.ok("releases", "info", rolled, "-a", "shop")
	require.Regexp(t, `\nBuild +`+firstBuild[1]+`\n`, stdout, "the old build")
	stdout, _ = user.ok("apps", "info", "-a", "shop")
	require.Contains(t, stdout, "\nRelease     "+rolled+"\n")
	require.NotContains(t, stackTemplate(t, rackName, "shop"), "/env/X/", "the old environment had no X")

	// An update a resource fails: ECS refuses a service whose name the
	// cluster has already (the emulator names an app's service after its
	// stack and logical id). The release fails with ECS's reason, and the
	// app keeps none active.
	cluster := rackResource(t, rackName, "AWS::ECS::Cluster", "Cluster")
	_, err = ecs.NewFromConfig(cfg).CreateService(context.Background(), &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(names.AppStack(rackName, "broken") + "-ServiceWeb"),
		TaskDefinition: aws.String("squatter"), DesiredCount: aws.Int32(0),
	})
	require.NoError(t, err)
	user.ok("apps", "create", "broken", "--wait")
	out, stderr, code = user.run("", "deploy", examples.Path("image-web"), "-a", "broken")
	require.Equal(t, 1, code, out)
	require.Regexp(t, `^ERROR: release R[A-Z]{10} failed: ServiceWeb: .*Creation of service was not idempotent.*\n$`, stderr)
	hook.await(t, "release:promote error broken")
	stdout, _ = user.ok("apps", "info", "-a", "broken")
	require.NotContains(t, stdout, "Release     R", "no release is active")
	stdout, _ = user.ok("releases", "-a", "broken")
	require.Regexp(t, `\nR[A-Z]{10} +failed +B`, stdout)
	user.ok("apps", "delete", "broken", "--wait")

	// Twenty promotions at once: exactly one proceeds. Its release has an
	// internal service, so it waits for the router to grow its internal
	// balancer, with the sweeps stopped (the test's and the rack's rule):
	// the winner holds the app while the others ask.
	user.ok("apps", "create", "inside", "--wait")
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(examples.Path("image-web"))))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "convox.yml"), []byte("services:\n  web:\n    image: nginx\n    port: 80\n    internal: true\n"), 0o644))
	stdout, _ = user.ok("build", dir, "-a", "inside")
	require.Regexp(t, `Release: R[A-Z]{10}\n$`, stdout)
	var ids []string
	for i := range 20 {
		stdout, _ = user.ok("env", "set", fmt.Sprintf("K%d=%d", i, i), "-a", "inside", "--id")
		ids = append(ids, strings.TrimSpace(stdout))
	}
	stopSweeps()
	rules := eventbridge.NewFromConfig(cfg)
	reconcile := rackResource(t, rackName, "AWS::Events::Rule", "Reconcile")
	_, err = rules.DisableRule(context.Background(), &eventbridge.DisableRuleInput{Name: aws.String(reconcile)})
	require.NoError(t, err)
	type answer struct {
		stdout, stderr string
		code           int
	}
	answers := make([]answer, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			o, e, c := user.run("", "releases", "promote", id, "-a", "inside")
			answers[i] = answer{o, e, c}
		})
	}
	wg.Wait()
	winner := ""
	for i, a := range answers {
		if a.code == 0 {
			require.Empty(t, winner, "a second promotion proceeded: %s and %s", winner, ids[i])
			require.Equal(t, "Promoting "+ids[i]+"... OK\n", a.stdout)
			winner = ids[i]
		}
	}
	require.NotEmpty(t, winner, "%v", answers)
	for i, a := range answers {
		if ids[i] != winner {
			require.Equal(t, 1, a.code, a.stdout)
			require.Equal(t, "ERROR: app inside is promoting release "+winner+"; wait for it to finish, or cancel it with: convox apps cancel -a inside\n", a.stderr)
		}
	}
	_, err = rules.EnableRule(context.Background(), &eventbridge.EnableRuleInput{Name: aws.String(reconcile)})
	require.NoError(t, err)
	stopSweeps = sweepReleases(t, rackName)
	require.Eventually(t, func() bool {
		stdout, _ := user.ok("apps", "info", "-a", "inside")
		return strings.Contains(stdout, "\nRelease     "+winner+"\n")
	}, time.Minute, 200*time.Millisecond, "the winner's promotion goes on once the sweeps run")
	user.ok("apps", "delete", "inside", "--wait")
	user.ok("apps", "delete", "shop", "--wait")
}

// logsThroughTheRack writes lines to site's log group, as its containers
// would, and reads them with convox logs: in time order among the deploy's
// stack events, filtered, since a time, and followed.
func logsThroughTheRack(t *testing.T, user binary, rackName string) {
	t.Helper()
	ctx := context.Background()
	cw := cloudwatchlogs.NewFromConfig(emulatortest.Config(t))
	group, stream := names.LogGroup(rackName, "site"), "service/web/e2etask"
	_, err := cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	require.NoError(t, err)
	put := func(at time.Time, message string) {
		t.Helper()
		_, err := cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(message)}}})
		require.NoError(t, err)
	}
	now := time.Now()
	put(now.Add(-30*time.Minute), "an old line")
	put(now.Add(-time.Minute), "GET / 200")

	stdout, _ := user.ok("logs", "--no-follow", "--since", "10m", "-a", "site")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Contains(t, lines, now.Add(-time.Minute).UTC().Format(time.RFC3339)+" service/web/e2etask GET / 200")
	require.NotContains(t, stdout, "an old line", "older than --since")
	require.Contains(t, stdout, " system/cloudformation aws/cfm "+names.AppStack(rackName, "site")+" UPDATE_COMPLETE", "the deploys' stack events")
	require.Equal(t, 1, strings.Count(stdout, "GET / 200"), "shown once: %s", stdout)
	var last string
	for _, l := range lines {
		// (ECS may say the same thing twice in one second: two events.)
		stamp := strings.SplitN(l, " ", 2)[0]
		require.GreaterOrEqual(t, stamp, last, "in time order: %s", stdout)
		last = stamp
	}
	stdout, _ = user.ok("logs", "--no-follow", "--since", "1h", "--filter", "old", "-a", "site")
	require.Equal(t, now.Add(-30*time.Minute).UTC().Format(time.RFC3339)+" service/web/e2etask an old line\n", stdout)

	// Following: a line written after it started shows up once.
	cmd := exec.Command(user.path, "logs", "--since", "5m", "-a", "site")
	cmd.Env = user.env
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	got := make(chan string, 100)
	go func() {
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(got)
				return
			}
			got <- line
		}
	}()
	var followed []string
	// await reads convox's lines until one holds text, or fails after a
	// minute.
	await := func(text string) {
		t.Helper()
		deadline := time.After(time.Minute)
		for {
			select {
			case line, ok := <-got:
				require.True(t, ok, "convox logs ended: %q", followed)
				followed = append(followed, line)
				if strings.Contains(line, text) {
					return
				}
			case <-deadline:
				t.Fatalf("%q never showed: %q", text, followed)
			}
		}
	}
	// Its first read has shown what was there before it started.
	await("GET / 200")
	marker := fmt.Sprintf("followed %d", time.Now().UnixNano())
	written := time.Now()
	put(written, marker)
	await(marker)
	t.Logf("figure: a log line written to it shown by convox logs, following, on the emulator: %s", time.Since(written).Round(time.Millisecond))
	// A line written after that one shows only after reads that follow
	// it: by then the first would have shown twice, if it ever did.
	after := marker + " after"
	put(time.Now(), after)
	await(after)
	count := 0
	for _, l := range followed {
		if strings.Contains(l, marker) && !strings.Contains(l, after) {
			count++
		}
	}
	require.Equal(t, 1, count, "shown once: %q", followed)

	// The rack's own logs: its functions' log groups.
	apiLogs := rackResource(t, rackName, "AWS::Logs::LogGroup", "ApiLogs")
	rackStream := "2026/12/01/[$LATEST]e2e"
	_, err = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(apiLogs), LogStreamName: aws.String(rackStream)})
	require.NoError(t, err)
	at := time.Now().Add(-time.Minute)
	_, err = cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(apiLogs), LogStreamName: aws.String(rackStream),
		LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(`{"msg":"e2e rack line"}`)}}})
	require.NoError(t, err)
	stdout, _ = user.ok("rack", "logs", "--no-follow", "--since", "10m", "--filter", "e2e rack line")
	require.Equal(t, at.UTC().Format(time.RFC3339)+` rack/api {"msg":"e2e rack line"}`+"\n", stdout)
}
