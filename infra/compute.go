package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/rackhq/rack/pkg/names"
)

// compute is where apps run and are built: a network without NAT gateways
// (they bill by the hour), an ECS cluster whose capacity is an Auto Scaling
// group of InstanceCount instances (0 by default: an idle rack runs none),
// and the CodeBuild project that builds apps' images.
type compute struct {
	vpc      awsec2.Vpc
	provider awsecs.AsgCapacityProvider
	cluster  awsecs.Cluster
	group    awsautoscaling.AutoScalingGroup
	builder  awscodebuild.Project
	// buildLogs is where the builder's output goes.
	buildLogs awslogs.LogGroup
}

func newCompute(stack awscdk.Stack, name string, p parameters, storage awss3.IBucket) compute {
	vpc := awsec2.NewVpc(stack, jsii.String("Network"), &awsec2.VpcProps{
		IpAddresses: awsec2.IpAddresses_Cidr(jsii.String("10.0.0.0/16")),
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(20),
		}},
		RestrictDefaultSecurityGroup: jsii.Bool(false), // would add a Node.js custom resource
	})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})

	group := awsautoscaling.NewAutoScalingGroup(stack, jsii.String("InstanceGroup"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:          vpc,
		VpcSubnets:   &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		InstanceType: awsec2.NewInstanceType(p.instanceType.ValueAsString()),
		// Resolved when an instance launches, not when the stack deploys: a
		// rack of 0 instances needs no image, and the parameter can name
		// any image an account publishes.
		MachineImage:             awsec2.MachineImage_ResolveSsmParameterAtLaunch(p.instanceImage.ValueAsString(), nil),
		MinCapacity:              jsii.Number(0),
		MaxCapacity:              jsii.Number(0),
		AssociatePublicIpAddress: jsii.Bool(true),
		RequireImdsv2:            jsii.Bool(true),
	})
	// Sizes are parameters: CloudFormation takes them as strings.
	cfnGroup := group.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup)
	count := p.instanceCount.ValueAsString()
	cfnGroup.AddPropertyOverride(jsii.String("MinSize"), count)
	cfnGroup.AddPropertyOverride(jsii.String("MaxSize"), count)
	cfnGroup.AddPropertyOverride(jsii.String("DesiredCapacity"), count)
	provider := awsecs.NewAsgCapacityProvider(stack, jsii.String("Capacity"), &awsecs.AsgCapacityProviderProps{
		AutoScalingGroup:                   group,
		EnableManagedTerminationProtection: jsii.Bool(false),
		EnableManagedScaling:               jsii.Bool(false),
		// ECS drains instances itself; without this CDK adds a drain hook
		// function of its own, in another language.
		EnableManagedDraining: jsii.Bool(true),
	})
	cluster.AddAsgCapacityProvider(provider, nil)
	scopeAgentLogs(stack, cluster, group, name)

	// Each build gives its own buildspec, rendered from the app's
	// manifest, and fetches its source itself: the project has none.
	builds := awslogs.NewLogGroup(stack, jsii.String("BuilderLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	builder := awscodebuild.NewProject(stack, jsii.String("Builder"), &awscodebuild.ProjectProps{
		Description: jsii.String("Builds the rack's apps: docker build and push to the app's ECR repository"),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxArmBuildImage_AMAZON_LINUX_2023_STANDARD_3_0(),
			ComputeType: awscodebuild.ComputeType_SMALL,
			Privileged:  jsii.Bool(true),
		},
		BuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]any{
			"version": "0.2",
			"phases": map[string]any{"build": map[string]any{"commands": []string{
				`echo "a build of this project is started by the rack's API, with its own buildspec" && exit 1`,
			}}},
		}),
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: builds}},
		Timeout: awscdk.Duration_Minutes(jsii.Number(60)),
	})
	storage.GrantRead(builder, jsii.String("sources/*"))
	repositories := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String(name + "/*"),
	})
	builder.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
			"ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
		Resources: jsii.Strings(*repositories),
	}))
	// GetAuthorizationToken has no resource to scope to: AWS documents "*".
	builder.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
		Resources: jsii.Strings("*"),
	}))
	return compute{vpc: vpc, provider: provider, cluster: cluster, group: group, builder: builder, buildLogs: builds}
}

// scopeAgentLogs replaces the ECS agent permissions CDK gives the
// instances, which let them write to every log group, with the same
// permissions but log writes only to the apps' groups
// (/convox/<rack>/<app>). The actions that have no resource to scope to
// keep "*".
func scopeAgentLogs(stack awscdk.Stack, cluster awsecs.Cluster, group awsautoscaling.AutoScalingGroup, name string) {
	policy := group.Role().Node().TryFindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awsiam.CfnPolicy)
	logs := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(names.LogGroupPrefix(name) + "*:*"),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	onCluster := map[string]any{"ArnEquals": map[string]any{"ecs:cluster": cluster.ClusterArn()}}
	policy.AddPropertyOverride(jsii.String("PolicyDocument.Statement"), []any{
		map[string]any{"Effect": "Allow", "Resource": cluster.ClusterArn(),
			"Action": []string{"ecs:DeregisterContainerInstance", "ecs:RegisterContainerInstance", "ecs:Submit*"}},
		map[string]any{"Effect": "Allow", "Resource": "*", "Condition": onCluster,
			"Action": []string{"ecs:Poll", "ecs:StartTelemetrySession"}},
		map[string]any{"Effect": "Allow", "Resource": "*",
			"Action": []string{"ecr:GetAuthorizationToken", "ecs:DiscoverPollEndpoint"}},
		map[string]any{"Effect": "Allow", "Resource": logs,
			"Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"}},
	})
}
