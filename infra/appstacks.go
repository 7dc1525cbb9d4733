package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/rackhq/rack/pkg/names"
)

// newAppStackRole is the role CloudFormation updates the rack's app stacks
// and makes its router with: what promotions render (task definitions and
// services on the rack's cluster, target groups and listener rules,
// balancers, security groups, the apps' roles, schedules and autoscaling),
// scoped to the rack's names where AWS's resource names allow it. The
// functions only pass it; they cannot do these things themselves.
func newAppStackRole(stack awscdk.Stack, name string, cmp compute) awsiam.Role {
	role := awsiam.NewRole(stack, jsii.String("AppStackRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("cloudformation.amazonaws.com"), nil),
		Description: jsii.String("CloudFormation updates the rack's app stacks and its router with this role"),
	})
	arn := func(service, resource, resourceName string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(resourceName),
		})
	}
	allow := func(resources []string, actions ...string) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
		}))
	}
	// Stacks name what they make after themselves: <rack>-... .
	prefix := name + "-"
	allow([]string{arn("ecs", "service", *cmp.cluster.ClusterName()+"/*")},
		"ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:TagResource", "ecs:UntagResource")
	// Task definitions are registered by family, and AWS documents no
	// resource for registering, reading or deregistering them.
	allow([]string{"*"}, "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition")
	allow([]string{arn("ecs", "task-definition", prefix+"*")}, "ecs:TagResource")
	// Balancers, target groups, rules, security groups, scaling targets
	// and alarms get generated names or ids: they are scoped by the Rack
	// tag CloudFormation gives them from their stack's tags, on create
	// (the request's tag) and after (the resource's).
	tagged := func(key string, actions ...string) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: jsii.Strings("*"),
			Conditions: &map[string]any{"StringEquals": map[string]any{key + "/Rack": name}},
		}))
	}
	tagged("aws:RequestTag",
		"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateTargetGroup",
		"elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags",
		"ec2:CreateSecurityGroup", "ec2:CreateTags",
		"application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource",
		"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource")
	tagged("aws:ResourceTag",
		"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes",
		"elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener",
		"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyTargetGroup",
		"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteRule",
		"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetSecurityGroups",
		"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
		"ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
		"ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags", "ec2:DeleteTags",
		"application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
		"application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
		"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms")
	// Reads, which AWS documents with no resource to scope to.
	allow([]string{"*"},
		"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
		"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
		"elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
		"elasticloadbalancing:DescribeLoadBalancerAttributes", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
		"ec2:DescribeSubnets", "application-autoscaling:DescribeScalableTargets",
		"application-autoscaling:DescribeScalingPolicies", "cloudwatch:DescribeAlarms", "logs:DescribeLogGroups")
	allow([]string{arn("scheduler", "schedule", "default/"+prefix+"*")},
		"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:TagResource")
	// Autoscaling an ECS service acts through its service-linked role.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:CreateServiceLinkedRole"),
		Resources:  jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":iam::" + *awscdk.Aws_ACCOUNT_ID() + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*"),
		Conditions: &map[string]any{"StringLike": map[string]any{"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}},
	}))
	roles := "arn:" + *awscdk.Aws_PARTITION() + ":iam::" + *awscdk.Aws_ACCOUNT_ID() + ":role/" + prefix + "*"
	allow([]string{roles},
		"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
		"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies",
		"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:UpdateAssumeRolePolicy", "iam:PassRole")
	// What app stacks were created with: their repository and log group.
	allow([]string{arn("ecr", "repository", names.RepositoryPrefix(name)+"*")},
		"ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:PutLifecyclePolicy",
		"ecr:TagResource", "ecr:BatchDeleteImage", "ecr:ListImages")
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource", "logs:DescribeLogGroups"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(names.LogGroupPrefix(name) + "*"),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
	}))
	return role
}
