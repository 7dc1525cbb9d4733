package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/names"
)

// RackProps configure the rack stack.
type RackProps struct {
	awscdk.StackProps
	// Version is the rack version the template is made for, the default of
	// its Version parameter.
	Version string
}

// Rack is the rack stack: one per rack, created by `convox rack install`.
type Rack struct {
	awscdk.Stack
	Functions map[string]awslambda.Function
}

// NewRack defines the rack stack. It takes no assets: function code comes
// from the bucket and key prefix given as parameters, where the installer
// uploads it, so the same template deploys to AWS and to an emulator
// without a CDK bootstrap stack.
func NewRack(scope constructs.Construct, id string, props *RackProps) *Rack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	r := &Rack{Stack: stack, Functions: map[string]awslambda.Function{}}
	p := newParameters(stack, props.Version)

	tbl, tableResource := newTable(stack, p)
	tableName := tableResource.Ref()
	key := awskms.NewKey(stack, jsii.String("EnvironmentKey"), &awskms.KeyProps{
		Description:   jsii.String("Seals the environments of the rack's apps"),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
	})
	// Rotation is a choice: each of a key's first two rotations adds $1 a
	// month, which would take an idle rack from ~$1 to ~$3.
	rotate := awscdk.NewCfnCondition(stack, jsii.String("KeyRotationOn"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(p.keyRotation.ValueAsString(), jsii.String("Yes")),
	})
	key.Node().DefaultChild().(awskms.CfnKey).AddPropertyOverride(jsii.String("EnableKeyRotation"),
		awscdk.Fn_ConditionIf(rotate.LogicalId(), true, false))
	bucket := awss3.NewBucket(stack, jsii.String("Storage"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("sources"),
			Prefix:                              jsii.String("sources/"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(7)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}, {
			// App stack templates too large to send in a call: CloudFormation
			// reads one when its update starts.
			Id:         jsii.String("templates"),
			Prefix:     jsii.String("templates/"),
			Expiration: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	// The template deploys under any stack name: names derive from it.
	name := *awscdk.Aws_STACK_NAME()
	bus := awsevents.NewEventBus(stack, jsii.String("Events"), &awsevents.EventBusProps{
		EventBusName: jsii.String(names.EventBus(name)),
	})
	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetters"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})

	cmp := newCompute(stack, name, p, bucket)
	env := map[string]*string{
		names.EnvRack:             awscdk.Aws_STACK_NAME(),
		names.EnvTable:            tableName,
		names.EnvKey:              key.KeyArn(),
		names.EnvVersion:          p.version.ValueAsString(),
		names.EnvBuilder:          cmp.builder.ProjectName(),
		names.EnvEventBus:         bus.EventBusName(),
		names.EnvWebhooks:         p.webhooks.ValueAsString(),
		names.EnvCluster:          cmp.cluster.ClusterName(),
		names.EnvInstancesGroup:   cmp.group.AutoScalingGroupName(),
		names.EnvStackRole:        p.stackRole.ValueAsString(),
		names.EnvBucket:           bucket.BucketName(),
		names.EnvRegistry:         awscdk.Fn_Sub(jsii.String("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}"), nil),
		names.EnvBuildLogs:        cmp.buildLogs.LogGroupName(),
		names.EnvBuildRetention:   p.buildRetention.ValueAsString(),
		names.EnvVPC:              cmp.vpc.VpcId(),
		names.EnvSubnets:          awscdk.Fn_Join(jsii.String(","), cmp.vpc.SelectSubnets(&awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}).SubnetIds),
		names.EnvCapacityProvider: cmp.provider.CapacityProviderName(),
		names.EnvFargate:          p.fargate.ValueAsString(),
		names.EnvCertificate:      p.certificate.ValueAsString(),
		names.EnvAppDomain:        p.appDomain.ValueAsString(),
		names.EnvLogLevel: awscdk.Fn_ConditionIf(awscdk.NewCfnCondition(stack, jsii.String("DevelopmentOn"), &awscdk.CfnConditionProps{
			Expression: awscdk.Fn_ConditionEquals(p.development.ValueAsString(), jsii.String("Yes")),
		}).LogicalId(), jsii.String("debug"), jsii.String("info")).ToString(),
	}
	appStackRole := newAppStackRole(stack, name, cmp)
	env[names.EnvAppStackRole] = appStackRole.RoleArn()
	// The functions' log groups first: convox rack logs reads them.
	logGroups := map[string]awslogs.LogGroup{}
	var groupPairs []*string
	for _, fn := range names.Functions {
		logGroups[fn] = newFunctionLogs(stack, fn)
		groupPairs = append(groupPairs, awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(fn + "="), logGroups[fn].LogGroupName()}))
	}
	env[names.EnvRackLogs] = awscdk.Fn_Join(jsii.String(","), &groupPairs)
	for _, fn := range names.Functions {
		r.Functions[fn] = newFunction(stack, fn, p, env, logGroups[fn])
	}
	api, builds, resources, releases := r.Functions["api"], r.Functions["builds"], r.Functions["customresources"], r.Functions["releases"]
	notifications, instances := r.Functions["notifications"], r.Functions["instances"]

	// Grants only: each function gets what it uses.
	for _, fn := range []awslambda.Function{api, builds, resources, releases} {
		tbl.GrantReadWriteData(fn)
	}
	for _, fn := range []awslambda.Function{api, builds, instances, releases} {
		bus.GrantPutEventsTo(fn, nil)
	}
	// The key seals app environments, the password hash and secret
	// custom-resource answers.
	key.GrantEncryptDecrypt(api)
	key.GrantEncryptDecrypt(resources)
	bucket.GrantReadWrite(api, nil)
	bucket.GrantReadWrite(resources, nil)
	bucket.GrantDelete(resources, nil)
	appStacks := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("cloudformation"),
		Resource:     jsii.String("stack"),
		ResourceName: jsii.String(names.AppStackPrefix(name) + "*"),
	})
	for _, fn := range []awslambda.Function{api, releases} {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("cloudformation:CreateStack", "cloudformation:DescribeStacks", "cloudformation:DeleteStack"),
			Resources: jsii.Strings(*appStacks),
		}))
	}
	appResources(stack, name, api)
	// Promotions: the api function starts them and the releases function
	// carries them on; both update app stacks (with the app stack role),
	// make the router, keep environment values and large templates.
	key.GrantDecrypt(releases)
	routerStack := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(names.RouterStack(name) + "/*"),
	})
	envValues := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(names.EnvParameterPrefix(name)[1:] + "*"),
	})
	for _, fn := range []awslambda.Function{api, releases} {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("cloudformation:UpdateStack", "cloudformation:DescribeStackEvents", "cloudformation:CancelUpdateStack",
				"cloudformation:DescribeStackResources"),
			Resources: jsii.Strings(*appStacks),
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ecs:DescribeServices", "ecs:UpdateService"),
			Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ecs"), Resource: jsii.String("service"), ResourceName: jsii.String(*cmp.cluster.ClusterName() + "/*"),
			})),
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DescribeStacks",
				"cloudformation:DeleteStack"),
			Resources: jsii.Strings(*routerStack),
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ssm:PutParameter", "ssm:GetParametersByPath", "ssm:DeleteParameters"),
			Resources: jsii.Strings(*envValues, *envValues+"/*"),
		}))
		appStackRole.GrantPassRole(fn.GrantPrincipal())
		// Processes: the cluster's tasks, listed, read, stopped and (in the
		// api function) run from the apps' task definitions, whose roles
		// RunTask passes to ECS.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"),
			Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ecs"), Resource: jsii.String("task"), ResourceName: jsii.String(*cmp.cluster.ClusterName() + "/*"),
			}), *stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ecs"), Resource: jsii.String("container-instance"), ResourceName: jsii.String(*cmp.cluster.ClusterName() + "/*"),
			})),
		}))
		// AWS documents no resource for DescribeTaskDefinition.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ecs:DescribeTaskDefinition"), Resources: jsii.Strings("*"),
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("ecs:RunTask"),
			Resources:  jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecs"), Resource: jsii.String("task-definition"), ResourceName: jsii.String(names.AppStackPrefix(name) + "*")})),
			Conditions: &map[string]any{"ArnEquals": map[string]any{"ecs:cluster": cmp.cluster.ClusterArn()}},
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("iam:PassRole"),
			Resources:  jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":iam::" + *awscdk.Aws_ACCOUNT_ID() + ":role/" + names.AppStackPrefix(name) + "*"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
		}))
		bucket.GrantPut(fn, jsii.String("templates/*"))
	}
	// Builds: the API starts them and reads their output; the builds
	// function follows them and removes old images.
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codebuild:StartBuild", "codebuild:BatchGetBuilds"),
		Resources: jsii.Strings(*cmp.builder.ProjectArn()),
	}))
	cmp.buildLogs.GrantRead(api)
	for _, fn := range names.Functions {
		logGroups[fn].GrantRead(api)
	}
	// convox logs: the apps' log groups.
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:FilterLogEvents"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(names.LogGroupPrefix(name) + "*"),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
	}))
	builds.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codebuild:BatchGetBuilds"),
		Resources: jsii.Strings(*cmp.builder.ProjectArn()),
	}))
	builds.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecr:BatchDeleteImage"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String(names.RepositoryPrefix(name) + "*"),
		})),
	}))
	ownStack(stack, name, p, api)

	// Custom resources, answered by the customresources function.
	// They depend on the table and key the function keeps its answers
	// with, so a stack deletion removes them first.
	custom := func(id, kind string, props map[string]any) awscdk.CustomResource {
		r := awscdk.NewCustomResource(stack, jsii.String(id), &awscdk.CustomResourceProps{
			ServiceToken: resources.FunctionArn(),
			ResourceType: jsii.String("Custom::" + kind),
			Properties:   &props,
		})
		r.Node().AddDependency(tableResource, key)
		return r
	}
	custom("EmptyStorage", "EmptyBucket", map[string]any{"BucketName": bucket.BucketName()}).
		Node().AddDependency(bucket)
	custom("RackPassword", "RackPassword", map[string]any{"Password": p.password.ValueAsString()})
	custom("RackMigration", "RackMigration", map[string]any{"Version": p.version.ValueAsString()})

	// The API: every path to the api function.
	httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("API"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("The rack API"),
		CreateDefaultStage: jsii.Bool(true),
	})
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("APIIntegration"), api, nil)
	for _, path := range []string{"/", "/{proxy+}"} {
		httpAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: integration,
		})
	}

	// Events: the rack's app stacks' status changes, and a sweep every
	// minute for anything a lost event left in flight.
	// Every async target retries for two hours, then goes to the DLQ.
	async := func(fn awslambda.Function) awsevents.IRuleTarget {
		return awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(8),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		})
	}
	target := async(releases)
	awsevents.NewRule(stack, jsii.String("AppStackStatus"), &awsevents.RuleProps{
		Description: jsii.String("Status changes of the rack's app stacks"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(events.CloudFormationEventSource),
			DetailType: jsii.Strings(events.CloudFormationStackStatusChangeDetailType),
			Detail: &map[string]any{
				"stack-id": []any{map[string]any{"wildcard": "arn:aws:cloudformation:*:*:stack/" + names.AppStackPrefix(name) + "*"}},
			},
		},
		Targets: &[]awsevents.IRuleTarget{target},
	})
	awsevents.NewRule(stack, jsii.String("BuildState"), &awsevents.RuleProps{
		Description: jsii.String("State changes of the rack's builds"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(events.CodeBuildEventSource),
			DetailType: jsii.Strings(events.CodeBuildBuildStateChangeDetailType),
			Detail:     &map[string]any{"project-name": []any{cmp.builder.ProjectName()}},
		},
		Targets: &[]awsevents.IRuleTarget{async(builds)},
	})
	awsevents.NewRule(stack, jsii.String("RackEvents"), &awsevents.RuleProps{
		Description:  jsii.String("The rack's events, to its webhooks"),
		EventBus:     bus,
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(events.RackEventSource)},
		Targets:      &[]awsevents.IRuleTarget{async(notifications)},
	})
	toInstances := async(instances)
	awsevents.NewRule(stack, jsii.String("InstanceLifecycle"), &awsevents.RuleProps{
		Description: jsii.String("Lifecycle actions of the rack's instances"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.autoscaling"),
			DetailType: jsii.Strings("EC2 Instance-launch Lifecycle Action", "EC2 Instance-terminate Lifecycle Action"),
			Detail:     &map[string]any{"AutoScalingGroupName": []any{cmp.group.AutoScalingGroupName()}},
		},
		Targets: &[]awsevents.IRuleTarget{toInstances},
	})
	awsevents.NewRule(stack, jsii.String("InstanceState"), &awsevents.RuleProps{
		Description: jsii.String("Instances running or terminated (EC2's events name no group: the function asks)"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.ec2"),
			DetailType: jsii.Strings("EC2 Instance State-change Notification"),
			Detail:     &map[string]any{"state": []any{"running", "terminated"}},
		},
		Targets: &[]awsevents.IRuleTarget{toInstances},
	})
	// DescribeInstances takes no resource: AWS documents "*".
	instances.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:DescribeInstances"),
		Resources: jsii.Strings("*"),
	}))
	awsevents.NewRule(stack, jsii.String("ContainerInstanceState"), &awsevents.RuleProps{
		Description: jsii.String("State changes of the rack cluster's container instances"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.ecs"),
			DetailType: jsii.Strings("ECS Container Instance State Change"),
			Detail:     &map[string]any{"clusterArn": []any{cmp.cluster.ClusterArn()}},
		},
		Targets: &[]awsevents.IRuleTarget{toInstances},
	})
	awsevents.NewRule(stack, jsii.String("Reconcile"), &awsevents.RuleProps{
		Description: jsii.String("Reconcile sweep: apps with their stacks, builds with their jobs"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets:     &[]awsevents.IRuleTarget{target, async(builds)},
	})

	for name, value := range map[string]*string{
		names.OutputAPIURL:          httpAPI.ApiEndpoint(),
		names.OutputAPIID:           httpAPI.ApiId(),
		names.OutputTableName:       tableName,
		names.OutputBucketName:      bucket.BucketName(),
		names.OutputEventBusName:    bus.EventBusName(),
		names.OutputKeyArn:          key.KeyArn(),
		names.OutputDeadLetterQueue: dlq.QueueUrl(),
		names.OutputClusterName:     cmp.cluster.ClusterName(),
		names.OutputBuildProject:    cmp.builder.ProjectName(),
		names.OutputBuildLogs:       cmp.buildLogs.LogGroupName(),
	} {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: value})
	}
	return r
}

// parameters are the stack's parameters, named as Convox names them where
// Convox has them.
type parameters struct {
	version, password, architecture, keyRotation awscdk.CfnParameter
	development, instanceType, instanceCount     awscdk.CfnParameter
	codeBucket, codePrefix                       awscdk.CfnParameter
	pointInTimeRecovery, deletionProtection      awscdk.CfnParameter
	instanceImage, webhooks                      awscdk.CfnParameter
	stackRole, buildRetention                    awscdk.CfnParameter
	fargate, certificate, appDomain              awscdk.CfnParameter
}

func newParameters(stack awscdk.Stack, version string) parameters {
	yesNo := func(id, description, def string) awscdk.CfnParameter {
		return awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(def), AllowedValues: jsii.Strings("Yes", "No"),
			Description: jsii.String(description),
		})
	}
	str := func(id, description string, def *string) awscdk.CfnParameter {
		return awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: def, Description: jsii.String(description),
		})
	}
	return parameters{
		version: str("Version", "Rack version", jsii.String(version)),
		password: awscdk.NewCfnParameter(stack, jsii.String("Password"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String(""), NoEcho: jsii.Bool(true),
			Description: jsii.String("API password; generated when empty. Only its hash is stored."),
		}),
		architecture: awscdk.NewCfnParameter(stack, jsii.String("Architecture"), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Default: jsii.String("arm64"), AllowedValues: jsii.Strings("arm64", "x86_64"),
			Description: jsii.String("Processor architecture of the rack's functions"),
		}),
		codeBucket:          str("CodeBucket", "Bucket holding the functions' code", nil),
		codePrefix:          str("CodePrefix", "Key prefix of the functions' zips (<prefix><function>.zip)", nil),
		pointInTimeRecovery: yesNo("PointInTimeRecovery", "Point-in-time recovery of the rack table", "Yes"),
		development:         yesNo("Development", "Development rack: functions log at debug level", "No"),
		instanceType:        str("InstanceType", "EC2 instance type of the cluster's instances (arm64: the ECS-optimized AMI is arm64)", jsii.String("t4g.small")),
		instanceCount: awscdk.NewCfnParameter(stack, jsii.String("InstanceCount"), &awscdk.CfnParameterProps{
			Type: jsii.String("Number"), Default: jsii.Number(0), MinValue: jsii.Number(0), MaxValue: jsii.Number(100),
			Description: jsii.String("Instances in the cluster; 0 runs none"),
		}),
		instanceImage: str("InstanceImage", "SSM parameter holding the instances' AMI id (default: AWS's ECS-optimized Amazon Linux 2023, arm64)",
			jsii.String("/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id")),
		webhooks:           str("Webhooks", "Comma-separated URLs that receive the rack's events as JSON POSTs", jsii.String("")),
		keyRotation:        yesNo("EnvironmentKeyRotation", "Yearly rotation of the key that seals app environments (+$1/month for each of its first two rotations)", "No"),
		deletionProtection: yesNo("DeletionProtection", "Deletion protection of the rack table", "No"),
		buildRetention: awscdk.NewCfnParameter(stack, jsii.String("BuildRetention"), &awscdk.CfnParameterProps{
			Type: jsii.String("Number"), Default: jsii.Number(50), MinValue: jsii.Number(1), MaxValue: jsii.Number(1000),
			Description: jsii.String("Builds each app keeps; older builds and their images are removed"),
		}),
		fargate:     yesNo("Fargate", "Run apps' services on Fargate rather than the cluster's instances (a rack with InstanceCount 0 runs its apps this way)", "No"),
		certificate: str("RouterCertificate", "ARN of an ACM certificate for the router's HTTPS listeners; empty: the router serves HTTP only", jsii.String("")),
		appDomain:   str("AppDomain", "Domain under which services get their default host names, <service>.<app>.<domain> (point a wildcard record at the router); empty: none", jsii.String("")),
		stackRole: str(names.ParamStackRole, "ARN of an IAM role, assumable by CloudFormation, that carries out the updates of this stack made through the rack's API (convox rack update, rack params set); empty: they run with the api function's own permissions, which change no resource (docs/stack.md)",
			jsii.String("")),
	}
}

// newTable declares the rack table from the shared key schema, and returns
// it for grants with its name.
func newTable(stack awscdk.Stack, p parameters) (awsdynamodb.ITable, awsdynamodb.CfnTable) {
	yes := func(id string, param awscdk.CfnParameter) awscdk.CfnCondition {
		return awscdk.NewCfnCondition(stack, jsii.String(id), &awscdk.CfnConditionProps{
			Expression: awscdk.Fn_ConditionEquals(param.ValueAsString(), jsii.String("Yes")),
		})
	}
	pitr := yes("PointInTimeRecoveryOn", p.pointInTimeRecovery)
	protect := yes("DeletionProtectionOn", p.deletionProtection)
	str := func(name string) *awsdynamodb.CfnTable_AttributeDefinitionProperty {
		return &awsdynamodb.CfnTable_AttributeDefinitionProperty{AttributeName: jsii.String(name), AttributeType: jsii.String("S")}
	}
	key := func(name, kind string) *awsdynamodb.CfnTable_KeySchemaProperty {
		return &awsdynamodb.CfnTable_KeySchemaProperty{AttributeName: jsii.String(name), KeyType: jsii.String(kind)}
	}
	t := awsdynamodb.NewCfnTable(stack, jsii.String("Table"), &awsdynamodb.CfnTableProps{
		BillingMode: jsii.String("PAY_PER_REQUEST"),
		AttributeDefinitions: &[]any{
			str(names.TablePartitionKey), str(names.TableSortKey), str(names.ListIndexPartitionKey), str(names.ListIndexSortKey),
		},
		KeySchema: &[]any{key(names.TablePartitionKey, "HASH"), key(names.TableSortKey, "RANGE")},
		GlobalSecondaryIndexes: &[]any{&awsdynamodb.CfnTable_GlobalSecondaryIndexProperty{
			IndexName:  jsii.String(names.ListIndex),
			KeySchema:  &[]any{key(names.ListIndexPartitionKey, "HASH"), key(names.ListIndexSortKey, "RANGE")},
			Projection: &awsdynamodb.CfnTable_ProjectionProperty{ProjectionType: jsii.String("ALL")},
		}},
		TimeToLiveSpecification: &awsdynamodb.CfnTable_TimeToLiveSpecificationProperty{
			AttributeName: jsii.String(names.TTLAttribute), Enabled: jsii.Bool(true),
		},
		PointInTimeRecoverySpecification: &awsdynamodb.CfnTable_PointInTimeRecoverySpecificationProperty{
			PointInTimeRecoveryEnabled: awscdk.Fn_ConditionIf(pitr.LogicalId(), true, false),
		},
		DeletionProtectionEnabled: awscdk.Fn_ConditionIf(protect.LogicalId(), true, false),
		SseSpecification:          &awsdynamodb.CfnTable_SSESpecificationProperty{SseEnabled: jsii.Bool(true)},
	})
	t.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	return awsdynamodb.Table_FromTableAttributes(stack, jsii.String("TableRef"), &awsdynamodb.TableAttributes{
		TableArn:      t.AttrArn(),
		GlobalIndexes: jsii.Strings(names.ListIndex),
	}), t
}

// newFunction declares one function, its code in the code bucket.
// newFunctionLogs declares a function's log group: the stack's own, so
// logs expire and uninstalling leaves none behind (Lambda's implicit
// groups outlive the stack).
func newFunctionLogs(stack awscdk.Stack, name string) awslogs.LogGroup {
	return awslogs.NewLogGroup(stack, jsii.String(title(name)+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

func newFunction(stack awscdk.Stack, name string, p parameters, env map[string]*string, logs awslogs.LogGroup) awslambda.Function {
	code := awslambda.Code_FromBucket(
		awss3.Bucket_FromBucketName(stack, jsii.String(name+"Code"), p.codeBucket.ValueAsString()),
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(*p.codePrefix.ValueAsString(), name+".zip")),
		nil,
	)
	fn := awslambda.NewFunction(stack, jsii.String(title(name)), &awslambda.FunctionProps{
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          code,
		MemorySize:    jsii.Number(256),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(60)),
		Environment:   &env,
		Description:   jsii.String("rack " + name),
	})
	// The installer puts each version's code under a prefix of its own, so
	// a changed prefix is what updates a function's code.
	awscdk.Annotations_Of(fn).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified"),
		jsii.String("code keys are unique per version"))
	// The architecture is a parameter; arm64 unless the installer says
	// otherwise (its zips must match).
	cfnFn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfnFn.AddPropertyOverride(jsii.String("Architectures"), []any{p.architecture.ValueAsString()})
	return fn
}

func title(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// appResources lets fn create and delete what app stacks hold, for the
// rack's apps only: their ECR repositories (<rack>/<app>) and log groups
// (/convox/<rack>/<app>). CloudFormation acts with the caller's rights.
func appResources(stack awscdk.Stack, name string, fn awslambda.Function) {
	repositories := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ecr"), Resource: jsii.String("repository"), ResourceName: jsii.String(names.RepositoryPrefix(name) + "*"),
	})
	logGroups := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(names.LogGroupPrefix(name) + "*"),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories",
			"ecr:PutLifecyclePolicy", "ecr:TagResource", "ecr:BatchDeleteImage", "ecr:ListImages"),
		Resources: jsii.Strings(*repositories),
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource", "logs:DescribeLogGroups"),
		Resources: jsii.Strings(*logGroups),
	}))
}

// ownStack lets fn read and change the rack's own stack, and nothing else
// of CloudFormation's: describe it, and make, read, execute and delete its
// change sets, from templates of the artifacts bucket's versions only.
// CloudFormation reads a template from S3, and Lambda a function's code,
// with the caller's rights: fn may read the versions there. When the stack
// names a StackRole, fn may pass that role, and that role only, to
// CloudFormation; the change then runs with the role's rights.
func ownStack(stack awscdk.Stack, name string, p parameters, fn awslambda.Function) {
	rackStack := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(name + "/*"),
	})
	changeSets := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudformation"), Resource: jsii.String("changeSet"), ResourceName: jsii.String(name + "-update-*/*"),
	})
	bucket := names.ArtifactsBucket(*awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_REGION())
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:DescribeStacks"),
		Resources: jsii.Strings(*rackStack),
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
			"cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet"),
		Resources: jsii.Strings(*rackStack, *changeSets),
		Conditions: &map[string]any{"StringLikeIfExists": map[string]any{
			"cloudformation:TemplateUrl": names.ArtifactsURL(*awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_REGION(), "versions/*"),
		}},
	}))
	// GetTemplateSummary of a template URL names no stack: AWS documents
	// no resource to scope it to. It reads only what fn may read in S3.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:GetTemplateSummary"),
		Resources: jsii.Strings("*"),
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":s3:::" + bucket + "/versions/*"),
	}))
	hasRole := awscdk.NewCfnCondition(stack, jsii.String("StackRoleGiven"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(p.stackRole.ValueAsString(), jsii.String(""))),
	})
	pass := awsiam.NewCfnPolicy(stack, jsii.String("ApiPassesStackRole"), &awsiam.CfnPolicyProps{
		PolicyName: jsii.String("pass-stack-role"),
		Roles:      jsii.Strings(*fn.Role().RoleName()),
		PolicyDocument: map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "iam:PassRole", "Resource": p.stackRole.ValueAsString(),
				"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}},
			}},
		},
	})
	pass.CfnOptions().SetCondition(hasRole)
}
