package deploy_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/cfn"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/examples"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/core"
	"github.com/rackhq/rack/pkg/wire/deploy"
	"github.com/rackhq/rack/pkg/wire/local"

	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
)

// calls counts the AWS calls made through a config, by service and
// operation.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (c *calls) count(cfg *aws.Config) {
	c.n = map[string]int{}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetServiceID(ctx)+"."+awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	})
}

func total(n map[string]int) (int, string) {
	sum := 0
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		sum += n[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return sum, strings.Join(parts, ", ")
}

// TestPromotionsOnEmulator promotes releases of example apps with the
// adapters the functions use, on the emulator: the store, the sealer, the
// app stack, SSM and the router. It prints the AWS calls of each
// promotion.
func TestPromotionsOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	var counted calls
	counted.count(&cfg)
	name := emulatortest.Name("d")
	env := wire.Env{
		Rack: name, Table: "rack-" + name, Key: "alias/rack-" + name, Cluster: name + "-cluster",
		VPC: "vpc-0123456789abcdef0", Subnets: []string{"subnet-1", "subnet-2"}, Version: "test",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	_, err := local.Prepare(ctx, env, cfg, auth.Hasher{}, "password")
	require.NoError(t, err)
	stacks := cloudformation.NewFromConfig(cfg)
	t.Cleanup(func() {
		for _, s := range []string{names.AppStack(name, "web"), names.RouterStack(name)} {
			_, _ = stacks.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(s)})
		}
		_ = deploy.Env(env, cfg).DeleteEnv(context.Background(), "web")
	})

	uses, store := core.New(env, cfg, nil), core.Store(env, cfg)
	sealer := kms.New(kmsapi.NewFromConfig(cfg), env.Key)
	apps := service.NewApps(uses, store, cfn.New(stacks, name), service.RemovingEnv(deploy.Env(env, cfg)))
	releases := service.NewReleases(uses, store, sealer)
	promotions := deploy.Promotions(env, cfg, uses, store, sealer)

	_, err = apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		require.NoError(t, apps.ReconcileApps(ctx))
		a, err := apps.GetApp(ctx, "web")
		require.NoError(t, err)
		return a.Status == rack.AppRunning
	}, time.Minute, 50*time.Millisecond)

	release := func(example string, environment rack.Environment) rack.Release {
		t.Helper()
		m, err := os.ReadFile(filepath.Join(examples.Path(example), examples.Manifest(example)))
		require.NoError(t, err)
		if environment["SECRET"] != "" {
			// Every service of the app gets the app's whole environment.
			m = append([]byte("environment:\n  - \"*\"\n"), m...)
		}
		id, err := rack.NewID(rack.BuildIDPrefix)
		require.NoError(t, err)
		_, err = store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildComplete, Manifest: string(m)})
		require.NoError(t, err)
		r, err := releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id, Env: &environment})
		require.NoError(t, err)
		return r
	}
	settle := func(r rack.Release) rack.Release {
		t.Helper()
		require.Eventually(t, func() bool {
			require.NoError(t, promotions.SettleAll(ctx))
			got, err := store.GetRelease(ctx, "web", r.ID)
			require.NoError(t, err)
			r = got
			return r.Status != rack.ReleasePromoting
		}, time.Minute, 50*time.Millisecond)
		return r
	}

	// A worker only: no router, and the update ends within the call.
	worker := release("timers", rack.Environment{"SECRET": "s3cr3t", "EMPTY": ""})
	counted.reset()
	got, err := promotions.Promote(ctx, "web", worker.ID)
	require.NoError(t, err)
	n, detail := total(counted.reset())
	require.Equal(t, rack.ReleaseActive, got.Status, got.Reason)
	t.Logf("figure: AWS calls of a promotion that needs no balancer, to active: %d (%s)", n, detail)
	body, err := stacks.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(names.AppStack(name, "web"))})
	require.NoError(t, err)
	require.NotContains(t, aws.ToString(body.TemplateBody), "s3cr3t", "the value goes by reference")
	require.Contains(t, aws.ToString(body.TemplateBody), names.EnvParameter(name, "web", "SECRET", worker.ID))
	require.Contains(t, aws.ToString(body.TemplateBody), "AWS::Scheduler::Schedule")
	ds, err := promotions.Deployments(ctx, "web")
	require.NoError(t, err)
	require.Len(t, ds, 1, "%+v", ds)
	require.Equal(t, "jobs", ds[0].Service, "named as the manifest names it")
	require.Equal(t, 1, ds[0].Desired)
	t.Logf("the emulator's deployment of jobs: %+v", ds[0])

	// A web service: the router is made first, and the sweep carries the
	// promotion on.
	web := release("two-built", rack.Environment{"SECRET": "s3cr3t"})
	counted.reset()
	got, err = promotions.Promote(ctx, "web", web.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, got.Status, "waits for the router")
	got = settle(got)
	require.Equal(t, rack.ReleaseActive, got.Status, got.Reason)
	n, detail = total(counted.reset())
	t.Logf("figure: AWS calls of the first promotion with a port (router made, then the sweep), to active: %d (%s)", n, detail)
	resources, err := stacks.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(names.AppStack(name, "web"))})
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, r := range resources.StackResources {
		kinds[aws.ToString(r.ResourceType)]++
	}
	require.Equal(t, 2, kinds["AWS::ECS::Service"], "%v", kinds)
	require.Equal(t, 3, kinds["AWS::ECS::TaskDefinition"], "two services and the timer: %v", kinds)
	require.Equal(t, 1, kinds["AWS::ElasticLoadBalancingV2::TargetGroup"], "%v", kinds)
	require.GreaterOrEqual(t, kinds["AWS::ElasticLoadBalancingV2::ListenerRule"], 1, "%v", kinds)
	require.Equal(t, 1, kinds["AWS::Scheduler::Schedule"], "%v", kinds)

	// The next release, the router there: within the call again.
	next := release("two-built", rack.Environment{"SECRET": "s3cr3t", "X": "1"})
	counted.reset()
	got, err = promotions.Promote(ctx, "web", next.ID)
	require.NoError(t, err)
	n, detail = total(counted.reset())
	require.Equal(t, rack.ReleaseActive, got.Status, got.Reason)
	t.Logf("figure: AWS calls of a promotion with a port, the router there, to active: %d (%s)", n, detail)

	// Scale and processes, with the functions' adapters.
	services := service.NewServices(uses, promotions, releases, deploy.Running(env, cfg))
	processes := service.NewProcesses(uses, services, deploy.Tasks(env, cfg))
	three := 3
	counted.reset()
	_, err = services.UpdateService(ctx, "web", "web", service.ServiceUpdate{Count: &three})
	require.NoError(t, err)
	n, detail = total(counted.reset())
	t.Logf("figure: AWS calls of convox scale --count: %d (%s)", n, detail)
	ps, err := processes.ListProcesses(ctx, "web", service.ProcessFilter{})
	require.NoError(t, err)
	n, detail = total(counted.reset())
	t.Logf("figure: AWS calls of convox ps (%d processes): %d (%s)", len(ps), n, detail)
	running := 0
	for _, p := range ps {
		if p.Name == "web" && p.Release == next.ID && p.Status == rack.ProcessRunning {
			running++
		}
	}
	require.Equal(t, 3, running, "%+v", ps)

	// A rollback is a promotion of the old release: its values are there.
	got, err = promotions.Promote(ctx, "web", web.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status, got.Reason)
	a, err := apps.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, web.ID, a.Release)

	// With no app needing it, the sweep removes the router.
	_, err = apps.DeleteApp(ctx, "web")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		require.NoError(t, apps.ReconcileApps(ctx))
		_, err := apps.GetApp(ctx, "web")
		return rack.IsCode(err, rack.ENOTFOUND)
	}, time.Minute, 50*time.Millisecond)
	require.NoError(t, promotions.SettleAll(ctx))
	require.Eventually(t, func() bool {
		out, err := stacks.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(names.RouterStack(name))})
		return err != nil || out.Stacks[0].StackStatus == "DELETE_COMPLETE"
	}, time.Minute, 50*time.Millisecond)
}
