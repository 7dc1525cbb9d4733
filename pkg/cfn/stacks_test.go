package cfn

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

var _ service.Stacks = (*Stacks)(nil)

// fakeCFN is CloudFormation as the stacks see it: stacks by name, answered
// the way AWS answers for stacks that exist and stacks that do not, with
// errors the SDK's shape wraps.
type fakeCFN struct {
	stacks map[string]*types.Stack
	// errs fails the named operation ("CreateStack", ...) with an error.
	errs map[string]error
	// describeDeleted makes DescribeStacks return deleted stacks, as AWS
	// does when asked by stack ID.
	describeDeleted bool

	creates []*cloudformation.CreateStackInput
	deletes []*cloudformation.DeleteStackInput
}

var _ API = (*fakeCFN)(nil)

func newFakeCFN() *fakeCFN {
	return &fakeCFN{stacks: map[string]*types.Stack{}, errs: map[string]error{}}
}

// opError wraps err the way the SDK does: in a *smithy.OperationError.
func opError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "CloudFormation", OperationName: op, Err: err}
}

func (f *fakeCFN) live(name string) *types.Stack {
	s := f.stacks[name]
	if s == nil || s.StackStatus == types.StackStatusDeleteComplete {
		return nil
	}
	return s
}

func (f *fakeCFN) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	if err := f.errs["CreateStack"]; err != nil {
		return nil, opError("CreateStack", err)
	}
	f.creates = append(f.creates, in)
	name := aws.ToString(in.StackName)
	if f.live(name) != nil {
		return nil, opError("CreateStack", &types.AlreadyExistsException{Message: aws.String(fmt.Sprintf("Stack [%s] already exists", name))})
	}
	f.stacks[name] = &types.Stack{StackName: in.StackName, StackStatus: types.StackStatusCreateInProgress}
	return &cloudformation.CreateStackOutput{}, nil
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if err := f.errs["DescribeStacks"]; err != nil {
		return nil, opError("DescribeStacks", err)
	}
	name := aws.ToString(in.StackName)
	s := f.live(name)
	if f.describeDeleted {
		s = f.stacks[name]
	}
	if s == nil {
		return nil, opError("DescribeStacks", &smithy.GenericAPIError{Code: "ValidationError", Message: fmt.Sprintf("Stack with id %s does not exist", name)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{*s}}, nil
}

func (f *fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	if err := f.errs["DeleteStack"]; err != nil {
		return nil, opError("DeleteStack", err)
	}
	f.deletes = append(f.deletes, in)
	if s := f.live(aws.ToString(in.StackName)); s != nil {
		s.StackStatus = types.StackStatusDeleteInProgress
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

// set puts the stack in a status, as CloudFormation would in time.
func (f *fakeCFN) set(name string, status types.StackStatus, reason string) {
	f.stacks[name].StackStatus = status
	f.stacks[name].StackStatusReason = aws.String(reason)
}

func TestCreateAppStack(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))

	require.Len(t, f.creates, 1)
	in := f.creates[0]
	require.Equal(t, "prod-web", aws.ToString(in.StackName))
	require.Equal(t, appTemplate, aws.ToString(in.TemplateBody))
	require.Equal(t, appParameters("prod", "web"), in.Parameters)
	require.Equal(t, appTags("prod", "web"), in.Tags)
	require.Nil(t, in.ClientRequestToken, "a token made from names would be reused by a later app of the same name")
	require.Empty(t, in.Capabilities, "the app template needs no IAM capability yet")
}

func TestCreateAppStackThatExists(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	require.NoError(t, s.CreateAppStack(t.Context(), "web"), "a retried create")
	require.Len(t, f.creates, 2)

	// A stack that failed is still there; creating it again is no error,
	// and its status says it failed.
	f.set("prod-web", types.StackStatusRollbackComplete, "Resource creation cancelled")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	status, reason, err := s.AppStackStatus(t.Context(), "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppFailed, status)
	require.Equal(t, "Resource creation cancelled", reason)
}

func TestAppStackStatusLifecycle(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	ctx := t.Context()

	_, _, err := s.AppStackStatus(ctx, "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "before create: %v", err)

	require.NoError(t, s.CreateAppStack(ctx, "web"))
	requireStatus(t, s, rack.AppCreating, "")

	// A reason on a stack that did not fail is not passed on.
	f.set("prod-web", types.StackStatusCreateComplete, "")
	requireStatus(t, s, rack.AppRunning, "")
	f.set("prod-web", types.StackStatusUpdateRollbackInProgress, "Resource Service failed")
	requireStatus(t, s, rack.AppUpdating, "")
	f.set("prod-web", types.StackStatusUpdateRollbackComplete, "")
	requireStatus(t, s, rack.AppRunning, "")
	f.set("prod-web", types.StackStatusUpdateRollbackFailed, "Resource Balancer failed to roll back")
	requireStatus(t, s, rack.AppFailed, "Resource Balancer failed to roll back")

	require.NoError(t, s.DeleteAppStack(ctx, "web"))
	requireStatus(t, s, rack.AppDeleting, "")
	f.set("prod-web", types.StackStatusDeleteFailed, "Repository is not empty")
	requireStatus(t, s, rack.AppFailed, "Repository is not empty")

	f.set("prod-web", types.StackStatusDeleteComplete, "")
	_, _, err = s.AppStackStatus(ctx, "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "after delete: %v", err)
}

func requireStatus(t *testing.T, s *Stacks, want rack.AppStatus, wantReason string) {
	t.Helper()
	status, reason, err := s.AppStackStatus(t.Context(), "web")
	require.NoError(t, err)
	require.Equal(t, want, status)
	require.Equal(t, wantReason, reason)
}

func TestAppStackStatusDeletedStackDescribed(t *testing.T) {
	// AWS describes a deleted stack when asked by stack ID, and an emulator
	// may do so by name: DELETE_COMPLETE is still "not found".
	f := newFakeCFN()
	f.describeDeleted = true
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	f.set("prod-web", types.StackStatusDeleteComplete, "")
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
}

func TestAppStackStatusUnknownStatus(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	f.set("prod-web", "SOMETHING_NEW", "")
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.ErrorContains(t, err, `stack prod-web: unknown status "SOMETHING_NEW"`)
	require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
}

func TestAppStackStatusNoStacks(t *testing.T) {
	s := New(emptyDescribe{newFakeCFN()}, "prod")
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
}

// emptyDescribe answers DescribeStacks with no stack and no error.
type emptyDescribe struct{ *fakeCFN }

func (emptyDescribe) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{}, nil
}

func TestDeleteAppStack(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	ctx := t.Context()

	require.NoError(t, s.DeleteAppStack(ctx, "web"), "a stack that does not exist")
	require.NoError(t, s.CreateAppStack(ctx, "web"))
	require.NoError(t, s.DeleteAppStack(ctx, "web"))
	require.NoError(t, s.DeleteAppStack(ctx, "web"), "a retried delete")

	require.Len(t, f.deletes, 3)
	for _, in := range f.deletes {
		require.Equal(t, "prod-web", aws.ToString(in.StackName))
	}
}

func TestDeleteAppStackRefused(t *testing.T) {
	// DeleteStack's ValidationErrors are refusals, never "not found": AWS
	// answers success for a stack that does not exist.
	f := newFakeCFN()
	f.errs["DeleteStack"] = &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack [prod-web] cannot be deleted while TerminationProtection is enabled"}
	err := New(f, "prod").DeleteAppStack(t.Context(), "web")
	require.ErrorContains(t, err, "delete stack prod-web: ")
	require.ErrorContains(t, err, "TerminationProtection")
	require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
}

func TestErrorsPassThroughWrapped(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	calls := map[string]func(*Stacks) error{
		"CreateStack": func(s *Stacks) error { return s.CreateAppStack(t.Context(), "web") },
		"DescribeStacks": func(s *Stacks) error {
			_, _, err := s.AppStackStatus(t.Context(), "web")
			return err
		},
		"DeleteStack": func(s *Stacks) error { return s.DeleteAppStack(t.Context(), "web") },
	}
	contexts := map[string]string{
		"CreateStack":    "create stack prod-web: ",
		"DescribeStacks": "describe stack prod-web: ",
		"DeleteStack":    "delete stack prod-web: ",
	}
	for op, call := range calls {
		t.Run(op, func(t *testing.T) {
			f := newFakeCFN()
			f.errs[op] = throttled
			err := call(New(f, "prod"))
			require.ErrorContains(t, err, contexts[op])
			require.ErrorContains(t, err, "Rate exceeded")
			var api smithy.APIError
			require.True(t, errors.As(err, &api), "the AWS error is kept in the chain")
			require.Equal(t, "Throttling", api.ErrorCode())
			require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
		})
	}
}
