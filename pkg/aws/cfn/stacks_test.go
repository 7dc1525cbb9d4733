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

	"github.com/rackhq/rack/pkg/appstack"
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
	id := fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:stack/%s/%d", name, len(f.creates))
	f.stacks[name] = &types.Stack{StackName: in.StackName, StackId: aws.String(id), StackStatus: types.StackStatusCreateInProgress, Tags: in.Tags}
	return &cloudformation.CreateStackOutput{StackId: aws.String(id)}, nil
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
	for _, s := range f.stacks {
		if aws.ToString(s.StackId) == aws.ToString(in.StackName) && s.StackStatus != types.StackStatusDeleteComplete {
			s.StackStatus = types.StackStatusDeleteInProgress
		}
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
	require.Equal(t, "prod-App-web", aws.ToString(in.StackName))
	require.Equal(t, appstack.CreateTemplate, aws.ToString(in.TemplateBody))
	require.Equal(t, []types.Parameter{
		{ParameterKey: aws.String("LogGroupName"), ParameterValue: aws.String("/convox/prod/web")},
		{ParameterKey: aws.String("RepositoryName"), ParameterValue: aws.String("prod/web")},
	}, in.Parameters)
	require.Equal(t, []types.Tag{
		{Key: aws.String("App"), Value: aws.String("web")},
		{Key: aws.String("Rack"), Value: aws.String("prod")},
		{Key: aws.String("Type"), Value: aws.String("app")},
	}, in.Tags)
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
	f.set("prod-App-web", types.StackStatusRollbackComplete, "Resource creation cancelled")
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
	f.set("prod-App-web", types.StackStatusCreateComplete, "")
	requireStatus(t, s, rack.AppRunning, "")
	f.set("prod-App-web", types.StackStatusUpdateRollbackInProgress, "Resource Service failed")
	requireStatus(t, s, rack.AppUpdating, "")
	f.set("prod-App-web", types.StackStatusUpdateRollbackComplete, "")
	requireStatus(t, s, rack.AppRunning, "")
	f.set("prod-App-web", types.StackStatusUpdateRollbackFailed, "Resource Balancer failed to roll back")
	requireStatus(t, s, rack.AppFailed, "Resource Balancer failed to roll back")

	require.NoError(t, s.DeleteAppStack(ctx, "web"))
	requireStatus(t, s, rack.AppDeleting, "")
	f.set("prod-App-web", types.StackStatusDeleteFailed, "Repository is not empty")
	requireStatus(t, s, rack.AppFailed, "Repository is not empty")

	f.set("prod-App-web", types.StackStatusDeleteComplete, "")
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
	f.set("prod-App-web", types.StackStatusDeleteComplete, "")
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
}

func TestAppStackStatusUnknownStatus(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	f.set("prod-App-web", "SOMETHING_NEW", "")
	_, _, err := s.AppStackStatus(t.Context(), "web")
	require.ErrorContains(t, err, `stack prod-App-web: unknown status "SOMETHING_NEW"`)
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

	require.Len(t, f.deletes, 2, "no delete for a stack that is not there; a retry while deleting asks again")
	for _, in := range f.deletes {
		require.Equal(t, "arn:aws:cloudformation:us-east-1:123456789012:stack/prod-App-web/1", aws.ToString(in.StackName),
			"the stack whose tags were read, by its id")
	}
	f.set("prod-App-web", types.StackStatusDeleteComplete, "")
	require.NoError(t, s.DeleteAppStack(ctx, "web"), "a delete after the stack is gone")
	require.Len(t, f.deletes, 2)
}

func TestDeleteAppStackRefused(t *testing.T) {
	// DeleteStack's ValidationErrors are refusals, never "not found": AWS
	// answers success for a stack that does not exist.
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	f.errs["DeleteStack"] = &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack [prod-App-web] cannot be deleted while TerminationProtection is enabled"}
	err := s.DeleteAppStack(t.Context(), "web")
	require.ErrorContains(t, err, "delete stack prod-App-web: ")
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
		"CreateStack":    "create stack prod-App-web: ",
		"DescribeStacks": "describe stack prod-App-web: ",
		"DeleteStack":    "delete stack prod-App-web: ",
	}
	for op, call := range calls {
		t.Run(op, func(t *testing.T) {
			f := newFakeCFN()
			require.NoError(t, New(f, "prod").CreateAppStack(t.Context(), "web"))
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

// TestForeignStacksAreLeftAlone: a stack under an app stack's name that the
// rack did not make (no tags, or another rack's or app's) is a conflict
// for create, status and delete, and is never deleted.
func TestForeignStacksAreLeftAlone(t *testing.T) {
	for what, tags := range map[string][]types.Tag{
		"no tags":      nil,
		"another rack": {{Key: aws.String("Rack"), Value: aws.String("other")}, {Key: aws.String("App"), Value: aws.String("web")}, {Key: aws.String("Type"), Value: aws.String("app")}},
		"another app":  {{Key: aws.String("Rack"), Value: aws.String("prod")}, {Key: aws.String("App"), Value: aws.String("api")}, {Key: aws.String("Type"), Value: aws.String("app")}},
		"not an app":   {{Key: aws.String("Rack"), Value: aws.String("prod")}, {Key: aws.String("App"), Value: aws.String("web")}},
		"a lookalike":  {{Key: aws.String("rack"), Value: aws.String("prod")}, {Key: aws.String("app"), Value: aws.String("web")}, {Key: aws.String("type"), Value: aws.String("app")}},
	} {
		t.Run(what, func(t *testing.T) {
			f := newFakeCFN()
			f.stacks["prod-App-web"] = &types.Stack{StackName: aws.String("prod-App-web"), StackId: aws.String("arn:foreign"),
				StackStatus: types.StackStatusCreateComplete, Tags: tags}
			s := New(f, "prod")
			err := s.CreateAppStack(t.Context(), "web")
			require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
			require.EqualError(t, err, "the stack prod-App-web exists and was not made by rack prod for app web (its tags say otherwise); the rack leaves it alone")
			_, _, err = s.AppStackStatus(t.Context(), "web")
			require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
			err = s.DeleteAppStack(t.Context(), "web")
			require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
			require.Empty(t, f.deletes)
			require.Equal(t, types.StackStatusCreateComplete, f.stacks["prod-App-web"].StackStatus)
		})
	}
}

// TestExtraTagsAreFine: tags added to the rack's stack later (a cost
// allocation tag, say) do not make it someone else's.
func TestExtraTagsAreFine(t *testing.T) {
	f := newFakeCFN()
	s := New(f, "prod")
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	stack := f.stacks["prod-App-web"]
	stack.Tags = append(stack.Tags, types.Tag{Key: aws.String("CostCenter"), Value: aws.String("42")})
	require.NoError(t, s.CreateAppStack(t.Context(), "web"))
	require.NoError(t, s.DeleteAppStack(t.Context(), "web"))
	require.Len(t, f.deletes, 1)
}
