package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/names"
)

// StackEvents plays CloudFormation's part where nothing emits its events
// (an emulator): every interval, each new status of one of rack's app
// stacks goes to the rack's releases function as a "CloudFormation Stack
// Status Change" event of the documented shape, invoked directly (PutEvents
// refuses aws.* sources, on AWS too). It returns when ctx ends, or with an
// error when the rack's releases function cannot be found or the stacks
// cannot be listed ten times in a row (the emulator is gone).
func StackEvents(ctx context.Context, cfg aws.Config, rack string, interval time.Duration, log *slog.Logger) error {
	cfn, fn := cloudformation.NewFromConfig(cfg), lambda.NewFromConfig(cfg)
	function, err := rackFunction(ctx, cfn, rack, "Releases")
	if err != nil {
		return err
	}
	sent := map[string]cftypes.StackStatus{} // stack id → last status sent
	failures := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		p := cloudformation.NewListStacksPaginator(cfn, &cloudformation.ListStacksInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if failures++; failures == 10 && ctx.Err() == nil {
					return fmt.Errorf("list stacks: %w", err)
				}
				break
			}
			failures = 0
			for _, s := range page.StackSummaries {
				id := aws.ToString(s.StackId)
				if !strings.HasPrefix(aws.ToString(s.StackName), names.AppStackPrefix(rack)) || sent[id] == s.StackStatus {
					continue
				}
				if err := invoke(ctx, fn, function, s); err != nil {
					log.WarnContext(ctx, "stack event not delivered", "stack", aws.ToString(s.StackName), "status", s.StackStatus, "error", err.Error())
					continue
				}
				sent[id] = s.StackStatus
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// rackFunction is the physical name of rack's function whose logical id
// starts with prefix ("Releases", "Builds").
func rackFunction(ctx context.Context, cfn *cloudformation.Client, rack, prefix string) (string, error) {
	out, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(rack)})
	if err != nil {
		return "", fmt.Errorf("rack %s: %w", rack, err)
	}
	for _, r := range out.StackResources {
		if aws.ToString(r.ResourceType) == "AWS::Lambda::Function" && strings.HasPrefix(aws.ToString(r.LogicalResourceId), prefix) {
			return aws.ToString(r.PhysicalResourceId), nil
		}
	}
	return "", fmt.Errorf("rack %s has no %s function", rack, strings.ToLower(prefix))
}

// BuildSweeps plays the schedule's part for builds where the emulator's
// builder emits no state changes: every interval, the rack's builds
// function gets the documented "Scheduled Event", and its sweep completes
// the builds the builder says are done. It returns when ctx ends, or with
// an error when the function cannot be found.
func BuildSweeps(ctx context.Context, cfg aws.Config, rack string, interval time.Duration, log *slog.Logger) error {
	return Sweeps(ctx, cfg, rack, "Builds", interval, log)
}

// Sweeps plays the one-minute schedule's part, faster, for the rack's
// function whose logical id starts with prefix ("Builds", "Releases"):
// every interval it gets the documented "Scheduled Event". The releases
// function's sweep carries on promotions that waited for the rack's
// router, whose stack events nothing relays. It returns when ctx ends, or
// with an error when the function cannot be found.
func Sweeps(ctx context.Context, cfg aws.Config, rack, prefix string, interval time.Duration, log *slog.Logger) error {
	fn := lambda.NewFromConfig(cfg)
	function, err := rackFunction(ctx, cloudformation.NewFromConfig(cfg), rack, prefix)
	if err != nil {
		return err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := InvokeSweep(ctx, fn, function); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "sweep not delivered", "function", prefix, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// InvokeSweep hands function one "Scheduled Event", as the rack's
// one-minute rule does.
func InvokeSweep(ctx context.Context, fn *lambda.Client, function string) error {
	now := time.Now().UTC()
	payload, err := json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("sweep-%d", now.UnixNano()), "source": events.ScheduledEventSource,
		"detail-type": events.ScheduledEventDetailType, "time": now.Format(time.RFC3339), "detail": map[string]any{},
	})
	if err != nil {
		return err
	}
	out, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err == nil && out.FunctionError != nil {
		err = fmt.Errorf("%s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	return err
}

// invoke hands the releases function one stack status event.
func invoke(ctx context.Context, fn *lambda.Client, function string, s cftypes.StackSummary) error {
	id := aws.ToString(s.StackId)
	payload, err := json.Marshal(map[string]any{
		"version": "0", "id": id + "/" + string(s.StackStatus), "source": events.CloudFormationEventSource,
		"detail-type": events.CloudFormationStackStatusChangeDetailType, "time": time.Now().UTC().Format(time.RFC3339),
		"resources": []string{id},
		"detail": events.CloudFormationStackStatusChangeDetail{
			StackID:       id,
			StatusDetails: events.CloudFormationStackStatusDetails{Status: events.StackStatus(s.StackStatus), StatusReason: aws.ToString(s.StackStatusReason)},
		},
	})
	if err != nil {
		return err
	}
	out, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err == nil && out.FunctionError != nil {
		err = fmt.Errorf("%s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	return err
}
