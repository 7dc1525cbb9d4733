package cfn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// RouterAPI is the part of the CloudFormation client the router uses.
type RouterAPI interface {
	API
	UpdateStack(ctx context.Context, in *cloudformation.UpdateStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error)
}

// Layout is the rack as its app stacks see it: what the rack stack made,
// given, and the rack's router, a stack of its own (names.RouterStack)
// that exists only while some app has a service with a port, so that a
// rack without one pays nothing for balancers. The router is made, or
// grown by the balancer a release needs, when a promotion asks for it;
// promotions wait while it is being made.
type Layout struct {
	cfn         RouterAPI
	rack        appstack.Rack
	certificate string
	role        string
}

// NewLayout returns the layout of r (its Router is ignored: the router
// stack says it). certificate, when set, gives the router HTTPS; role,
// when set, is the role CloudFormation makes the router with.
func NewLayout(client RouterAPI, r appstack.Rack, certificate, role string) *Layout {
	r.Router = nil
	return &Layout{cfn: client, rack: r, certificate: certificate, role: role}
}

// StackRack is the rack with the balancers asked for. ready is false
// while the router is being made, grown or removed: the caller asks again
// later.
func (l *Layout) StackRack(ctx context.Context, external, internal bool) (appstack.Rack, bool, error) {
	r := l.rack
	if !external && !internal {
		return r, true, nil
	}
	name := names.RouterStack(r.Name)
	stack, err := l.router(ctx)
	if rack.IsCode(err, rack.ENOTFOUND) {
		return r, false, l.create(ctx, external, internal)
	}
	if err != nil {
		return r, false, err
	}
	switch stack.StackStatus {
	case types.StackStatusCreateComplete, types.StackStatusUpdateComplete, types.StackStatusUpdateRollbackComplete:
	case types.StackStatusRollbackComplete:
		// Its creation failed and rolled back: it goes, and is made again.
		if _, err := l.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: stack.StackId}); err != nil {
			return r, false, fmt.Errorf("delete failed router %s: %w", name, err)
		}
		return r, false, nil
	default:
		if strings.HasSuffix(string(stack.StackStatus), "_IN_PROGRESS") {
			return r, false, nil
		}
		return r, false, fmt.Errorf("the rack's router stack %s is %s (%s): fix it or delete it, and the rack makes it again",
			name, stack.StackStatus, aws.ToString(stack.StackStatusReason))
	}
	params := map[string]string{}
	for _, p := range stack.Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if (external && params[appstack.RouterExternal] != "Yes") || (internal && params[appstack.RouterInternal] != "Yes") {
		return r, false, l.grow(ctx, stack, external, internal)
	}
	out := map[string]string{}
	for _, o := range stack.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if r.Domain == "" {
		// Without a domain of the rack's, services' host names are under
		// the balancer's own: routed by the Host header a client sends
		// until a wildcard record points a domain there.
		r.Domain = cmp.Or(out[appstack.RouterOutputHost], out[appstack.RouterOutputInternalHost])
	}
	r.Router = &appstack.Router{
		HTTP:          out[appstack.RouterOutputHTTP],
		HTTPS:         out[appstack.RouterOutputHTTPS],
		InternalHTTP:  out[appstack.RouterOutputInternalHTTP],
		InternalHTTPS: out[appstack.RouterOutputInternalHTTPS],
		SecurityGroup: out[appstack.RouterOutputSecurityGroup],
		Host:          cmp.Or(out[appstack.RouterOutputHost], out[appstack.RouterOutputInternalHost]),
	}
	return r, true, nil
}

// RemoveRouter starts deleting the router stack, if there is one.
func (l *Layout) RemoveRouter(ctx context.Context) error {
	stack, err := l.router(ctx)
	switch {
	case rack.IsCode(err, rack.ENOTFOUND):
		return nil
	case err != nil:
		return err
	}
	if _, err := l.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: stack.StackId}); err != nil {
		return fmt.Errorf("delete router %s: %w", aws.ToString(stack.StackName), err)
	}
	return nil
}

// router reads the router stack: ENOTFOUND when there is none, ECONFLICT
// when the stack of its name is not the rack's.
func (l *Layout) router(ctx context.Context) (types.Stack, error) {
	name := names.RouterStack(l.rack.Name)
	out, err := l.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	switch {
	case isValidationError(err):
		return types.Stack{}, rack.Errorf(rack.ENOTFOUND, "the rack has no router")
	case err != nil:
		return types.Stack{}, fmt.Errorf("describe stack %s: %w", name, err)
	case len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete:
		return types.Stack{}, rack.Errorf(rack.ENOTFOUND, "the rack has no router")
	}
	stack := out.Stacks[0]
	if want := names.RouterStackTags(l.rack.Name); !maps.Equal(tagMap(stack.Tags, want), want) {
		return types.Stack{}, rack.Errorf(rack.ECONFLICT, "the stack %s exists and is not rack %s's router (its tags say otherwise); the rack leaves it alone", name, l.rack.Name)
	}
	return stack, nil
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// create starts making the router with the balancers asked for.
func (l *Layout) create(ctx context.Context, external, internal bool) error {
	name := names.RouterStack(l.rack.Name)
	in := &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(appstack.RouterTemplate),
		Parameters: parameters(map[string]string{
			appstack.RouterVpc:         l.rack.VPC,
			appstack.RouterSubnets:     strings.Join(l.rack.Subnets, ","),
			appstack.RouterCertificate: l.certificate,
			appstack.RouterExternal:    yesNo(external),
			appstack.RouterInternal:    yesNo(internal),
		}),
		Tags: tags(names.RouterStackTags(l.rack.Name)),
	}
	if l.role != "" {
		in.RoleARN = aws.String(l.role)
	}
	_, err := l.cfn.CreateStack(ctx, in)
	var exists *types.AlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create router %s: %w", name, err)
	}
	return nil
}

// grow starts adding the balancers asked for to the router; the ones it
// has stay.
func (l *Layout) grow(ctx context.Context, stack types.Stack, external, internal bool) error {
	in := &cloudformation.UpdateStackInput{StackName: stack.StackId, UsePreviousTemplate: aws.Bool(true)}
	for _, p := range stack.Parameters {
		key := aws.ToString(p.ParameterKey)
		switch {
		case key == appstack.RouterExternal && external:
			in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: p.ParameterKey, ParameterValue: aws.String("Yes")})
		case key == appstack.RouterInternal && internal:
			in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: p.ParameterKey, ParameterValue: aws.String("Yes")})
		default:
			in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: p.ParameterKey, UsePreviousValue: aws.Bool(true)})
		}
	}
	if l.role != "" {
		in.RoleARN = aws.String(l.role)
	}
	if _, err := l.cfn.UpdateStack(ctx, in); err != nil && !isValidationError(err) {
		return fmt.Errorf("grow router %s: %w", aws.ToString(stack.StackName), err)
	}
	return nil
}
