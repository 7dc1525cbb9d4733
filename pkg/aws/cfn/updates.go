package cfn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// UpdateAPI is the part of the CloudFormation client promotions use.
type UpdateAPI interface {
	API
	UpdateStack(ctx context.Context, in *cloudformation.UpdateStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error)
	DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	CancelUpdateStack(ctx context.Context, in *cloudformation.CancelUpdateStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.CancelUpdateStackOutput, error)
}

// Templates keeps templates too large to send in a call, where
// CloudFormation reads them.
type Templates interface {
	// PutTemplate stores body under key and returns its URL.
	PutTemplate(ctx context.Context, key string, body []byte) (string, error)
}

// Updates updates the app stacks of one rack to what releases say, and
// reads how each update went from its events: every event of an update
// carries the update's token.
type Updates struct {
	*Stacks
	cfn       UpdateAPI
	templates Templates
	role      string
}

// NewUpdates returns the updates of rack's app stacks. templates keeps
// templates over appstack.MaxBodySize; role, when set, is the role
// CloudFormation updates the stacks with.
func NewUpdates(client UpdateAPI, rack string, templates Templates, role string) *Updates {
	return &Updates{Stacks: New(client, rack), cfn: client, templates: templates, role: role}
}

// updateEventPages bounds how far back the events of an update are looked
// for: 100 events a page.
const updateEventPages = 10

// UpdateAppStack starts updating app's stack to template, its parameters
// kept, with token as the update's client request token. A template the
// stack has already starts nothing and returns false.
func (u *Updates) UpdateAppStack(ctx context.Context, app string, template []byte, token string) (bool, error) {
	stack, err := u.appStack(ctx, app)
	if err != nil {
		return false, err
	}
	in := &cloudformation.UpdateStackInput{
		StackName:          stack.StackId,
		ClientRequestToken: aws.String(token),
		Capabilities:       []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam},
		Tags:               stack.Tags,
	}
	for _, p := range stack.Parameters {
		in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: p.ParameterKey, UsePreviousValue: aws.Bool(true)})
	}
	if u.role != "" {
		in.RoleARN = aws.String(u.role)
	}
	if len(template) > appstack.MaxBodySize {
		if u.templates == nil {
			return false, fmt.Errorf("update stack %s: the template is %d bytes, over %d, and there is nowhere to upload it", aws.ToString(stack.StackName), len(template), appstack.MaxBodySize)
		}
		url, err := u.templates.PutTemplate(ctx, "templates/"+app+"/"+token+".json", template)
		if err != nil {
			return false, fmt.Errorf("update stack %s: %w", aws.ToString(stack.StackName), err)
		}
		in.TemplateURL = aws.String(url)
	} else {
		in.TemplateBody = aws.String(string(template))
	}
	_, err = u.cfn.UpdateStack(ctx, in)
	var api smithy.APIError
	switch {
	case err == nil:
		return true, nil
	case !errors.As(err, &api) || api.ErrorCode() != validationError:
		return false, fmt.Errorf("update stack %s: %w", aws.ToString(stack.StackName), err)
	case strings.Contains(api.ErrorMessage(), "No updates are to be performed"):
		return false, nil
	case strings.Contains(api.ErrorMessage(), "can not be updated"), strings.Contains(api.ErrorMessage(), "cannot be updated"):
		return false, rack.Errorf(rack.ECONFLICT, "the stack of app %s is busy: %s", app, api.ErrorMessage())
	}
	return false, rack.Errorf(rack.EINVALID, "the stack of app %s refused the update: %s", app, api.ErrorMessage())
}

// AppStackUpdate tells where update token of app's stack stands, from the
// newest of the stack's own events the update wrote, and once it failed,
// the first resource that failed and why.
func (u *Updates) AppStackUpdate(ctx context.Context, app, token string) (rack.StackUpdate, error) {
	evs, err := u.updateEvents(ctx, app, token)
	if err != nil {
		return rack.StackUpdate{}, err
	}
	name := names.AppStack(u.rack, app)
	// An update ends in one of three stack statuses, once; events of the
	// same millisecond may come in any order, so an end found anywhere
	// decides, and any other stack event means it is under way.
	state := rack.UpdateNotStarted
	for _, e := range evs {
		if e.Resource != name {
			continue
		}
		end, ok := updateEnds[e.Status]
		switch {
		case ok:
			state = end
		case state == rack.UpdateNotStarted:
			state = rack.UpdateInProgress
		}
		if ok {
			break
		}
	}
	out := rack.StackUpdate{State: state}
	if state == rack.UpdateRolledBack || state == rack.UpdateRollbackFailed {
		out.Reason = failureReason(evs, name)
	}
	return out, nil
}

// updateEnds are the stack statuses an update ends in, and what each
// means. UPDATE_FAILED is the end of an update made with rollback off.
var updateEnds = map[string]rack.StackUpdateState{
	string(types.StackStatusUpdateComplete):         rack.UpdateComplete,
	string(types.StackStatusUpdateRollbackComplete): rack.UpdateRolledBack,
	string(types.StackStatusUpdateRollbackFailed):   rack.UpdateRollbackFailed,
	string(types.StackStatusUpdateFailed):           rack.UpdateRollbackFailed,
}

// failureReason is the first resource failure among evs, oldest first:
// "Resource: reason". A stack that failed with no resource's reason
// gives the stack's own.
func failureReason(evs []rack.StackEvent, stack string) string {
	var own string
	for _, e := range evs {
		if !strings.HasSuffix(e.Status, "_FAILED") || e.Reason == "" {
			continue
		}
		if e.Resource == stack {
			own = cmp.Or(own, e.Reason)
			continue
		}
		// A cancelled resource is a consequence, unless nothing else is.
		if e.Reason == "Resource update cancelled" || strings.HasPrefix(e.Reason, "Resource creation cancelled") {
			own = cmp.Or(own, e.Resource+": "+e.Reason)
			continue
		}
		return e.Resource + ": " + e.Reason
	}
	return cmp.Or(own, "the stack update failed, and CloudFormation gave no reason")
}

// AppStackEvents lists the events of update token of app's stack, oldest
// first.
func (u *Updates) AppStackEvents(ctx context.Context, app, token string) ([]rack.StackEvent, error) {
	return u.updateEvents(ctx, app, token)
}

// updateEvents reads the events of update token, oldest first. The stack's
// events come newest first; reading stops at the event that started the
// update, or after updateEventPages pages.
func (u *Updates) updateEvents(ctx context.Context, app, token string) ([]rack.StackEvent, error) {
	stack, err := u.appStack(ctx, app)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(stack.StackName)
	var evs []rack.StackEvent
	in := &cloudformation.DescribeStackEventsInput{StackName: stack.StackId}
	for range updateEventPages {
		out, err := u.cfn.DescribeStackEvents(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("stack %s events: %w", name, err)
		}
		started := false
		for _, e := range out.StackEvents {
			if aws.ToString(e.ClientRequestToken) != token {
				continue
			}
			evs = append(evs, rack.StackEvent{
				Time:     aws.ToTime(e.Timestamp),
				Resource: aws.ToString(e.LogicalResourceId),
				Type:     aws.ToString(e.ResourceType),
				Status:   string(e.ResourceStatus),
				Reason:   aws.ToString(e.ResourceStatusReason),
			})
			if aws.ToString(e.LogicalResourceId) == name && e.ResourceStatus == types.ResourceStatusUpdateInProgress &&
				aws.ToString(e.ResourceStatusReason) == "User Initiated" {
				started = true
			}
		}
		if started || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Reverse(evs)
	// Events of one millisecond may come in any order: keep the update's
	// first event first and the stack's last event last.
	slices.SortStableFunc(evs, func(a, b rack.StackEvent) int { return a.Time.Compare(b.Time) })
	return evs, nil
}

// CancelAppStackUpdate cancels the update in progress of app's stack;
// ECONFLICT when none is.
func (u *Updates) CancelAppStackUpdate(ctx context.Context, app string) error {
	stack, err := u.appStack(ctx, app)
	if err != nil {
		return err
	}
	_, err = u.cfn.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: stack.StackId})
	if isValidationError(err) {
		return rack.Errorf(rack.ECONFLICT, "the stack of app %s has no update in progress to cancel (it is %s)", app, stack.StackStatus)
	}
	if err != nil {
		return fmt.Errorf("cancel update of stack %s: %w", aws.ToString(stack.StackName), err)
	}
	return nil
}

// LogEvents are the events of app's stack from since on, oldest first, as
// Convox shows them among an app's logs: stream system/cloudformation,
// "aws/cfm <stack> <status> <resource> <reason>".
func (u *Updates) LogEvents(ctx context.Context, app string, since time.Time) ([]rack.LogEvent, error) {
	stack, err := u.appStack(ctx, app)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(stack.StackName)
	var evs []rack.LogEvent
	in := &cloudformation.DescribeStackEventsInput{StackName: stack.StackId}
	for range updateEventPages {
		out, err := u.cfn.DescribeStackEvents(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("stack %s events: %w", name, err)
		}
		older := false
		for _, e := range out.StackEvents {
			at := aws.ToTime(e.Timestamp)
			if at.Before(since) {
				older = true
				continue
			}
			msg := strings.TrimSpace(fmt.Sprintf("aws/cfm %s %s %s %s", name, e.ResourceStatus, aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceStatusReason)))
			evs = append(evs, rack.LogEvent{Time: at.UTC(), Stream: "system/cloudformation", Message: msg, ID: aws.ToString(e.EventId)})
		}
		if older || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Reverse(evs)
	slices.SortStableFunc(evs, func(a, b rack.LogEvent) int { return a.Time.Compare(b.Time) })
	return evs, nil
}
