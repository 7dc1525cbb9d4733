// Package cfn keeps apps' CloudFormation stacks: one stack per app, named
// by pkg/names and made from pkg/appstack's template.
//
// Calls only start stack operations and read where they stand; the rack
// learns that an operation finished from stack status events or the
// reconcile sweep. Every call is safe to repeat: creating a stack the rack
// made already and deleting one that is gone are successes, so an event
// handled twice does no harm.
//
// The rack acts only on stacks it made: a stack carries the rack's and the
// app's names in its tags (names.AppStackTags), and a stack of the same
// name without them is someone else's. Creating over it, reading it as the
// app's, or deleting it fails with ECONFLICT and leaves it untouched.
package cfn

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the CloudFormation client the stacks use.
type API interface {
	CreateStack(ctx context.Context, in *cloudformation.CreateStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
}

// Stacks creates, reads and deletes the app stacks of one rack.
type Stacks struct {
	cfn  API
	rack string
}

// New returns the app stacks of the named rack.
func New(client API, rack string) *Stacks {
	return &Stacks{cfn: client, rack: rack}
}

// CreateAppStack starts creating app's stack. A stack of that name the rack
// made already, in whatever state, is success: the call may be a retry,
// and AppStackStatus tells where the stack stands. One the rack did not
// make is ECONFLICT. No ClientRequestToken is sent: one made from the names
// would be reused when an app of the same name is created again later, and
// CloudFormation could take that create for a duplicate; AlreadyExists
// already makes retries safe.
func (s *Stacks) CreateAppStack(ctx context.Context, app string) error {
	name := names.AppStack(s.rack, app)
	_, err := s.cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(appstack.CreateTemplate),
		Parameters:   parameters(appstack.Parameters(s.rack, app)),
		Tags:         tags(names.AppStackTags(s.rack, app)),
	})
	var exists *types.AlreadyExistsException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &exists):
		return fmt.Errorf("create stack %s: %w", name, err)
	}
	_, err = s.appStack(ctx, app)
	if rack.IsCode(err, rack.ENOTFOUND) {
		// Gone again between the two calls: a delete of an earlier app of
		// the same name finished. The caller may retry.
		return rack.Errorf(rack.ECONFLICT, "the stack %s of an earlier app %s is still being deleted; try again", name, app)
	}
	return err
}

// AppStackStatus tells the app status app's stack's state means and, when
// the stack failed, CloudFormation's reason. A stack that does not exist, or
// is fully deleted, is ENOTFOUND; one the rack did not make is ECONFLICT.
func (s *Stacks) AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error) {
	stack, err := s.appStack(ctx, app)
	if err != nil {
		return "", "", err
	}
	status := appstack.AppStatus(events.StackStatus(stack.StackStatus))
	switch status {
	case "":
		return "", "", fmt.Errorf("stack %s: unknown status %q", aws.ToString(stack.StackName), stack.StackStatus)
	case rack.AppFailed:
		return status, aws.ToString(stack.StackStatusReason), nil
	}
	return status, "", nil
}

// DeleteAppStack starts deleting app's stack. A stack that does not exist
// is not an error; one the rack did not make is ECONFLICT, and stays. The
// delete names the stack by its id, so it can only reach the stack whose
// tags were checked, even if another took its name in between. Every error
// CloudFormation returns (such as termination protection) is a real
// refusal, and is passed on.
func (s *Stacks) DeleteAppStack(ctx context.Context, app string) error {
	stack, err := s.appStack(ctx, app)
	switch {
	case rack.IsCode(err, rack.ENOTFOUND):
		return nil
	case err != nil:
		return err
	}
	if _, err := s.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: stack.StackId}); err != nil {
		return fmt.Errorf("delete stack %s: %w", aws.ToString(stack.StackName), err)
	}
	return nil
}

// appStack reads app's stack: ENOTFOUND if there is none (or it is fully
// deleted), ECONFLICT if the stack of that name is not the rack's.
func (s *Stacks) appStack(ctx context.Context, app string) (types.Stack, error) {
	name := names.AppStack(s.rack, app)
	out, err := s.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	switch {
	case isValidationError(err):
		// Asked by name, DescribeStacks has no "not found" error of its own:
		// a missing stack is a ValidationError, and a name made by
		// names.AppStack from valid names is no other kind of invalid.
		return types.Stack{}, notFound(app)
	case err != nil:
		return types.Stack{}, fmt.Errorf("describe stack %s: %w", name, err)
	case len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete:
		return types.Stack{}, notFound(app)
	}
	stack := out.Stacks[0]
	if want := names.AppStackTags(s.rack, app); !maps.Equal(tagMap(stack.Tags, want), want) {
		return types.Stack{}, rack.Errorf(rack.ECONFLICT,
			"the stack %s exists and was not made by rack %s for app %s (its tags say otherwise); the rack leaves it alone", name, s.rack, app)
	}
	return stack, nil
}

// tagMap returns the values of the keys of want among tags.
func tagMap(tags []types.Tag, want map[string]string) map[string]string {
	got := map[string]string{}
	for _, t := range tags {
		if _, ok := want[aws.ToString(t.Key)]; ok {
			got[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return got
}

func parameters(values map[string]string) []types.Parameter {
	var out []types.Parameter
	for _, k := range slices.Sorted(maps.Keys(values)) {
		out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(values[k])})
	}
	return out
}

func tags(values map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(values)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(values[k])})
	}
	return out
}

// validationError is the error code of CloudFormation's ValidationError,
// which the SDK has no type for.
const validationError = "ValidationError"

func isValidationError(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == validationError
}

func notFound(app string) error {
	return rack.Errorf(rack.ENOTFOUND, "app %s has no stack", app)
}
