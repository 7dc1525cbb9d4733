package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
)

var (
	templateOnce sync.Once
	templateJSON map[string]any
	templateA    assertions.Template
)

// synth synthesizes the rack stack once for all tests.
func synth(t *testing.T) (assertions.Template, map[string]any) {
	t.Helper()
	templateOnce.Do(func() {
		// The app main makes, with cdk.json's context: feature flags
		// change the template.
		app, err := newApp()
		if err != nil {
			panic(err)
		}
		rack := NewRack(app, "Rack", &RackProps{Version: "test"})
		templateA = assertions.Template_FromStack(rack.Stack, nil)
		raw, err := json.Marshal(templateA.ToJSON())
		if err == nil {
			err = json.Unmarshal(raw, &templateJSON)
		}
		if err != nil {
			panic(err)
		}
	})
	return templateA, templateJSON
}

func resources(tmpl map[string]any, kind string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == kind {
			out[id] = res
		}
	}
	return out
}

func TestResourceCounts(t *testing.T) {
	tmpl, _ := synth(t)
	for kind, n := range map[string]int{
		"AWS::DynamoDB::Table":                  1,
		"AWS::KMS::Key":                         1,
		"AWS::S3::Bucket":                       1,
		"AWS::Events::EventBus":                 1,
		"AWS::SQS::Queue":                       1,
		"AWS::Lambda::Function":                 len(names.Functions),
		"AWS::IAM::Role":                        len(names.Functions) + 3, // and the instances', the builder's, the app stacks'
		"AWS::ApiGatewayV2::Api":                1,
		"AWS::ApiGatewayV2::Route":              2,
		"AWS::Events::Rule":                     7,
		"Custom::EmptyBucket":                   1,
		"Custom::RackPassword":                  1,
		"Custom::RackMigration":                 1,
		"AWS::ApiGatewayV2::Stage":              1,
		"AWS::ApiGatewayV2::Authorizer":         0,
		"AWS::Logs::LogGroup":                   len(names.Functions) + 1, // and the builder's
		"AWS::ECS::Cluster":                     1,
		"AWS::ECS::CapacityProvider":            1,
		"AWS::AutoScaling::AutoScalingGroup":    1,
		"AWS::EC2::LaunchTemplate":              1,
		"AWS::AutoScaling::LaunchConfiguration": 0,
		"AWS::EC2::NatGateway":                  0,
		"AWS::CodeBuild::Project":               1,
		"AWS::SNS::Topic":                       0,
	} {
		tmpl.ResourceCountIs(jsii.String(kind), jsii.Number(n))
	}
}

func TestFunctionsAreProvidedAL2023OnArm64ByDefault(t *testing.T) {
	_, tmpl := synth(t)
	params := tmpl["Parameters"].(map[string]any)
	require.Equal(t, "arm64", params["Architecture"].(map[string]any)["Default"])
	fns := resources(tmpl, "AWS::Lambda::Function")
	require.Len(t, fns, len(names.Functions))
	for id, fn := range fns {
		props := fn["Properties"].(map[string]any)
		require.Equal(t, "provided.al2023", props["Runtime"], id)
		require.Equal(t, "bootstrap", props["Handler"], id)
		require.Equal(t, []any{map[string]any{"Ref": "Architecture"}}, props["Architectures"], id)
		code := props["Code"].(map[string]any)
		require.Equal(t, map[string]any{"Ref": "CodeBucket"}, code["S3Bucket"], id)
		env := props["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, v := range []string{"RACK_NAME", "RACK_TABLE", "RACK_KEY", "RACK_VERSION"} {
			require.Contains(t, env, v, id)
		}
	}
}

func TestEveryAsyncTargetHasRetriesAndADeadLetterQueue(t *testing.T) {
	_, tmpl := synth(t)
	rules := resources(tmpl, "AWS::Events::Rule")
	require.NotEmpty(t, rules)
	for id, rule := range rules {
		targets := rule["Properties"].(map[string]any)["Targets"].([]any)
		require.NotEmpty(t, targets, id)
		for _, tg := range targets {
			target := tg.(map[string]any)
			require.Contains(t, target, "DeadLetterConfig", "rule %s", id)
			require.Contains(t, target, "RetryPolicy", "rule %s", id)
		}
	}
}

// statements returns every IAM policy statement of the template.
func statements(tmpl map[string]any) []map[string]any {
	var out []map[string]any
	for _, kind := range []string{"AWS::IAM::Policy", "AWS::IAM::Role", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy", "AWS::KMS::Key"} {
		for _, r := range resources(tmpl, kind) {
			props := r["Properties"].(map[string]any)
			var docs []any
			for _, k := range []string{"PolicyDocument", "KeyPolicy"} {
				if d, ok := props[k]; ok {
					docs = append(docs, d)
				}
			}
			if ps, ok := props["Policies"].([]any); ok {
				for _, p := range ps {
					docs = append(docs, p.(map[string]any)["PolicyDocument"])
				}
			}
			for _, d := range docs {
				for _, s := range d.(map[string]any)["Statement"].([]any) {
					out = append(out, s.(map[string]any))
				}
			}
		}
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestNoWildcardPermissions(t *testing.T) {
	_, tmpl := synth(t)
	stmts := statements(tmpl)
	require.NotEmpty(t, stmts)
	for _, s := range stmts {
		if s["Effect"] == "Deny" {
			continue // a broad deny (TLS only) narrows, never widens
		}
		for _, a := range asList(s["Action"]) {
			action, _ := a.(string)
			require.NotEqual(t, "*", action, "statement %v", s)
			require.False(t, strings.HasSuffix(action, ":*") && !isKeyPolicy(tmpl, s), "a service-wide action in %v", s)
		}
		for _, r := range asList(s["Resource"]) {
			if r != "*" {
				continue
			}
			// A key policy's "*" means the key itself; a few actions have
			// no resource to scope to; others are scoped by a condition.
			_, conditioned := s["Condition"]
			require.True(t, isKeyPolicy(tmpl, s) || conditioned || unscopable(s["Action"]), "Resource * in %v", s)
		}
	}
}

// unscopable reports whether every action is one AWS documents as taking
// no resource (only "*").
func unscopable(actions any) bool {
	for _, a := range asList(actions) {
		switch a {
		case "ecr:GetAuthorizationToken", "ecs:DiscoverPollEndpoint", "ec2:DescribeInstances",
			"cloudformation:GetTemplateSummary", // of a template URL: no stack to name
			// What app stacks read, and task definitions, registered by family.
			"ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
			"elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
			"elasticloadbalancing:DescribeLoadBalancerAttributes", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
			"ec2:DescribeSubnets", "application-autoscaling:DescribeScalableTargets",
			"application-autoscaling:DescribeScalingPolicies", "cloudwatch:DescribeAlarms", "logs:DescribeLogGroups":
		default:
			return false
		}
	}
	return true
}

func isKeyPolicy(tmpl map[string]any, stmt map[string]any) bool {
	for _, k := range resources(tmpl, "AWS::KMS::Key") {
		for _, s := range k["Properties"].(map[string]any)["KeyPolicy"].(map[string]any)["Statement"].([]any) {
			if jsonEqual(s, stmt) {
				return true
			}
		}
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestParametersAndOutputs(t *testing.T) {
	_, tmpl := synth(t)
	params := tmpl["Parameters"].(map[string]any)
	for _, p := range []string{"Version", "Password", "Architecture", "CodeBucket", "CodePrefix", "PointInTimeRecovery", "DeletionProtection", "EnvironmentKeyRotation", "Development", "InstanceType", "InstanceCount", "Webhooks", "StackRole", "BuildRetention"} {
		require.Contains(t, params, p)
	}
	require.Equal(t, true, params["Password"].(map[string]any)["NoEcho"])
	require.Equal(t, "test", params["Version"].(map[string]any)["Default"])
	require.NotContains(t, params, "BootstrapVersion", "no CDK bootstrap stack is needed")
	require.Equal(t, "0", fmt.Sprint(params["InstanceCount"].(map[string]any)["Default"]), "an idle rack runs no instances")
	outputs := tmpl["Outputs"].(map[string]any)
	for _, o := range []string{"ApiUrl", "ApiId", "TableName", "BucketName", "EventBusName", "KeyArn", "DeadLetterQueueUrl", "ClusterName", "BuildProject"} {
		require.Contains(t, outputs, o)
	}
	// No output carries the password: none refers to the Password
	// parameter or to any attribute of the RackPassword resource.
	var passwordResource string
	for id := range resources(tmpl, "Custom::RackPassword") {
		passwordResource = id
	}
	require.NotEmpty(t, passwordResource)
	for id, o := range outputs {
		value, err := json.Marshal(o.(map[string]any)["Value"])
		require.NoError(t, err)
		require.NotContains(t, string(value), `{"Ref":"Password"}`, "output %s", id)
		require.NotContains(t, string(value), `"`+passwordResource+`"`, "output %s", id)
	}
}

func TestTableKeySchemaComesFromTheStore(t *testing.T) {
	tmpl, _ := synth(t)
	tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"BillingMode": "PAY_PER_REQUEST",
		"KeySchema": []any{
			map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
			map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
		},
		"GlobalSecondaryIndexes": []any{map[string]any{
			"IndexName": "list",
			"KeySchema": []any{
				map[string]any{"AttributeName": "lpk", "KeyType": "HASH"},
				map[string]any{"AttributeName": "lsk", "KeyType": "RANGE"},
			},
			"Projection": map[string]any{"ProjectionType": "ALL"},
		}},
		"TimeToLiveSpecification": map[string]any{"AttributeName": "ttl", "Enabled": true},
	})
	tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
	})
	tmpl.HasResourceProperties(jsii.String("AWS::Events::EventBus"), map[string]any{
		"Name": map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Ref": "AWS::StackName"}, "-events"}}},
	})
}

func TestInstancesFollowInstanceCountAndBuildsArePrivileged(t *testing.T) {
	tmpl, _ := synth(t)
	count := map[string]any{"Ref": "InstanceCount"}
	tmpl.HasResourceProperties(jsii.String("AWS::AutoScaling::AutoScalingGroup"), map[string]any{
		"MinSize": count, "MaxSize": count, "DesiredCapacity": count,
	})
	tmpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), map[string]any{
		"Environment": map[string]any{"PrivilegedMode": true},
		"Source":      map[string]any{"Type": "NO_SOURCE"},
	})
}

// TestBuildGrants: the API starts builds and reads their output; the
// builds function follows them and removes old images; the sweep reaches
// the builds function.
func TestBuildGrants(t *testing.T) {
	_, tmpl := synth(t)
	api, builds := roleActions(tmpl, "ApiServiceRole"), roleActions(tmpl, "BuildsServiceRole")
	require.Contains(t, api, "codebuild:StartBuild")
	require.Contains(t, api, "logs:GetLogEvents")
	require.Contains(t, builds, "codebuild:BatchGetBuilds")
	require.Contains(t, builds, "ecr:BatchDeleteImage")
	require.NotContains(t, builds, "codebuild:StartBuild")
	var swept []string
	for _, rule := range resources(tmpl, "AWS::Events::Rule") {
		props := rule["Properties"].(map[string]any)
		if props["ScheduleExpression"] != "rate(1 minute)" {
			continue
		}
		for _, target := range props["Targets"].([]any) {
			arn := target.(map[string]any)["Arn"].(map[string]any)["Fn::GetAtt"].([]any)
			swept = append(swept, arn[0].(string))
		}
	}
	require.Len(t, swept, 2, "the sweep reaches the releases and builds functions")
	require.True(t, slices.ContainsFunc(swept, func(id string) bool { return strings.HasPrefix(id, "Builds") }), swept)
}

// roleActions lists the actions the policies of a role allow.
func roleActions(tmpl map[string]any, role string) []any {
	var out []any
	for _, policy := range resources(tmpl, "AWS::IAM::Policy") {
		props := policy["Properties"].(map[string]any)
		roles, _ := json.Marshal(props["Roles"])
		if !strings.Contains(string(roles), role) {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, asList(st.(map[string]any)["Action"])...)
		}
	}
	return out
}

// TestGolden compares the template with testdata/rack.template.json, as
// data. `make fixtures` rewrites the file; review its diff.
func TestGolden(t *testing.T) {
	_, tmpl := synth(t)
	path := filepath.Join("testdata", "rack.template.json")
	got, err := json.MarshalIndent(tmpl, "", "  ")
	require.NoError(t, err)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden template: run `make fixtures`")
	require.JSONEq(t, string(want), string(got), "the template changed: run `make fixtures` and review the diff")
}

func TestFunctionsHaveSources(t *testing.T) {
	for _, fn := range names.Functions {
		_, err := os.Stat(filepath.Join("..", "functions", fn, "main.go"))
		require.NoError(t, err, "function %s has no functions/%s/main.go", fn, fn)
	}
	entries, err := os.ReadDir(filepath.Join("..", "functions"))
	require.NoError(t, err)
	for _, e := range entries {
		require.True(t, slices.Contains(names.Functions, e.Name()), "functions/%s is not in the stack", e.Name())
	}
}

// TestTheAPIChangesItsOwnStackOnly: the api function may describe the rack
// stack and make, read, execute and delete its change sets, from the
// artifacts bucket's versions; it may pass the StackRole, when given, to
// CloudFormation only; no other function may do any of it.
func TestTheAPIChangesItsOwnStackOnly(t *testing.T) {
	_, tmpl := synth(t)
	rackStack := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", map[string]any{"Ref": "AWS::Partition"}, ":cloudformation:", map[string]any{"Ref": "AWS::Region"}, ":",
		map[string]any{"Ref": "AWS::AccountId"}, ":stack/", map[string]any{"Ref": "AWS::StackName"}, "/*",
	}}}
	var changeSetStatements, describeStatements int
	for id, policy := range resources(tmpl, "AWS::IAM::Policy") {
		props := policy["Properties"].(map[string]any)
		roles, _ := json.Marshal(props["Roles"])
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := st.(map[string]any)
			actions := asList(s["Action"])
			switch {
			case slices.Contains(actions, any("cloudformation:CreateChangeSet")):
				changeSetStatements++
				require.Contains(t, string(roles), "ApiServiceRole", "policy %s", id)
				require.ElementsMatch(t, []any{"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet"}, actions)
				require.Len(t, asList(s["Resource"]), 2, "the stack and its change sets")
				require.Contains(t, asList(s["Resource"]), any(rackStack))
				require.Contains(t, s["Condition"], "StringLikeIfExists", "templates from the artifacts bucket only")
			case slices.Contains(actions, any("cloudformation:DescribeStacks")) && jsonEqual(s["Resource"], rackStack):
				describeStatements++
				require.Contains(t, string(roles), "ApiServiceRole", "policy %s", id)
			case slices.Contains(actions, any("iam:PassRole")) && jsonEqual(s["Resource"], map[string]any{"Fn::GetAtt": []any{"AppStackRoleC09024E8", "Arn"}}):
				// The api and releases functions pass the app stack role.
				require.Regexp(t, `^(Api|Releases)ServiceRoleDefaultPolicy`, id)
			case slices.Contains(actions, any("iam:PassRole")) && jsonEqual(s["Condition"], map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}}):
				// The api and releases functions pass the apps' task roles
				// to ECS when they run a one-off process.
				require.Regexp(t, `^(Api|Releases)ServiceRoleDefaultPolicy`, id)
				require.Contains(t, fmt.Sprint(s["Resource"]), ":role/")
			case slices.Contains(actions, any("iam:PassRole")) && id == "AppStackRoleDefaultPolicy5F993928":
				// The app stack role passes the apps' own roles to ECS and
				// the scheduler.
				require.Contains(t, fmt.Sprint(s["Resource"]), ":role/")
			case slices.Contains(actions, any("iam:PassRole")):
				require.Equal(t, "ApiPassesStackRole", id)
				require.Equal(t, "StackRoleGiven", policy["Condition"], "only when the stack names a role")
				require.Equal(t, map[string]any{"Ref": "StackRole"}, s["Resource"])
				require.Equal(t, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}}, s["Condition"])
				require.Contains(t, string(roles), "ApiServiceRole", "policy %s", id)
			}
		}
	}
	require.Equal(t, 1, changeSetStatements)
	require.Equal(t, 1, describeStatements)
	for id, fn := range resources(tmpl, "AWS::Lambda::Function") {
		env := fn["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		require.Equal(t, map[string]any{"Ref": "StackRole"}, env[names.EnvStackRole], id)
	}
}

// TestPromotionsAreWired: the functions that promote know the rack's
// network, capacity and router settings, and the role app stacks are
// updated with, which only CloudFormation assumes.
func TestPromotionsAreWired(t *testing.T) {
	_, tmpl := synth(t)
	for id, fn := range resources(tmpl, "AWS::Lambda::Function") {
		vars := fn["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, name := range []string{names.EnvVPC, names.EnvSubnets, names.EnvCapacityProvider, names.EnvFargate,
			names.EnvCertificate, names.EnvAppDomain, names.EnvAppStackRole} {
			require.Contains(t, vars, name, id)
		}
		require.Equal(t, map[string]any{"Fn::GetAtt": []any{"AppStackRoleC09024E8", "Arn"}}, vars[names.EnvAppStackRole], id)
	}
	roles := resources(tmpl, "AWS::IAM::Role")
	role, ok := roles["AppStackRoleC09024E8"]
	require.True(t, ok, "the app stack role")
	trust := role["Properties"].(map[string]any)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	require.Len(t, trust, 1)
	require.Equal(t, map[string]any{"Service": "cloudformation.amazonaws.com"}, trust[0].(map[string]any)["Principal"])
}
