// Package ec2 tells whether an EC2 instance belongs to an Auto Scaling
// group, as EC2 sees it (by the group's tag on the instance).
package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// API is the part of the EC2 client the group uses.
type API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// Group is one Auto Scaling group's instances.
type Group struct {
	api  API
	name string
}

// New returns the instances of the named group.
func New(api API, name string) *Group { return &Group{api: api, name: name} }

// groupTag is the tag Auto Scaling puts on the instances it launches.
const groupTag = "aws:autoscaling:groupName"

// Has reports whether the instance belongs to the group. EC2 keeps
// describing a terminated instance for about an hour, so a termination
// event can still be told apart.
func (g *Group) Has(ctx context.Context, instanceID string) (bool, error) {
	out, err := g.api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []types.Filter{
			{Name: aws.String("instance-id"), Values: []string{instanceID}},
			{Name: aws.String("tag:" + groupTag), Values: []string{g.name}},
		},
	})
	if err != nil {
		return false, fmt.Errorf("describe instance %s: %w", instanceID, err)
	}
	for _, r := range out.Reservations {
		if len(r.Instances) > 0 {
			return true, nil
		}
	}
	return false, nil
}
