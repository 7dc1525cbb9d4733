// Package cfn keeps apps' CloudFormation stacks: one stack per app, named
// from the rack and the app, made from a template compiled into the binary.
//
// Calls only start stack operations and read where they stand; the rack
// learns that an operation finished from stack status events or a
// reconcile sweep, which map the stack's status with AppStatus. Every call
// is safe to repeat: creating a stack that exists and deleting one that
// does not are successes, so an event handled twice does no harm.
package cfn

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

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

// CreateAppStack starts creating app's stack. A stack of that name that
// already exists, in whatever state, is success: the call may be a retry,
// and AppStackStatus tells where the stack stands. No ClientRequestToken is
// sent: one made from the names would be reused when an app of the same
// name is created again later, and CloudFormation could take that create
// for a duplicate; AlreadyExists already makes retries safe.
func (s *Stacks) CreateAppStack(ctx context.Context, app string) error {
	name := StackName(s.rack, app)
	_, err := s.cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(appTemplate),
		Parameters:   appParameters(s.rack, app),
		Tags:         appTags(s.rack, app),
	})
	var exists *types.AlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create stack %s: %w", name, err)
	}
	return nil
}

// AppStackStatus tells the app status app's stack's state means and, when
// the stack failed, CloudFormation's reason. A stack that does not exist, or
// is fully deleted, is ENOTFOUND.
func (s *Stacks) AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error) {
	name := StackName(s.rack, app)
	out, err := s.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{
		StackName: aws.String(name),
	})
	switch {
	case isValidationError(err):
		// Asked by name, DescribeStacks has no "not found" error of its own:
		// a missing stack is a ValidationError, and a name made by
		// StackName from valid names is no other kind of invalid.
		return "", "", notFound(app)
	case err != nil:
		return "", "", fmt.Errorf("describe stack %s: %w", name, err)
	case len(out.Stacks) == 0:
		return "", "", notFound(app)
	}
	stack := out.Stacks[0]
	if stack.StackStatus == types.StackStatusDeleteComplete {
		return "", "", notFound(app)
	}
	status := AppStatus(string(stack.StackStatus))
	switch status {
	case "":
		return "", "", fmt.Errorf("stack %s: unknown status %q", name, stack.StackStatus)
	case rack.AppFailed:
		return status, aws.ToString(stack.StackStatusReason), nil
	}
	return status, "", nil
}

// DeleteAppStack starts deleting app's stack. CloudFormation itself answers
// success for a stack that does not exist; every error it does return (such
// as termination protection) is a real refusal, and is passed on.
func (s *Stacks) DeleteAppStack(ctx context.Context, app string) error {
	name := StackName(s.rack, app)
	_, err := s.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{
		StackName: aws.String(name),
	})
	if err != nil {
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	return nil
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
