// Package names is the one source of every name the rack gives to AWS and
// to its own parts: the names of app stacks and their inverse, repositories,
// log groups, the event bus, the password setting, tags, stack outputs,
// the functions' environment variables and the table's key schema. The
// functions, the CDK app and the dev tools all take them from here, so no
// two can disagree about one.
//
// Rack and app names are lowercase (letters, digits and hyphens, at most 30
// characters: rack.ValidateAppName). Every name below is a plain
// concatenation, and the names of app stacks join rack and app with an
// infix holding capitals, which neither name can hold: so no two (rack, app)
// pairs share a stack, and no app stack is ever a rack's own stack.
// names_test.go checks both, and that every result fits AWS's limits. This
// package imports nothing from the module.
package names

import "strings"

// appStackInfix joins a rack's name to its app's in the app's stack name.
// Its capital is what makes the join unambiguous: rack "a-b" with app "c"
// is "a-b-App-c", rack "a" with app "b-c" is "a-App-b-c".
const appStackInfix = "-App-"

// AppStack is the name of app's CloudFormation stack: "<rack>-App-<app>".
func AppStack(rack, app string) string {
	return AppStackPrefix(rack) + app
}

// AppStackPrefix starts the name of every app stack of rack, the stacks
// nested in them included; with "*" after it, it is the pattern of the
// rack's app stacks in IAM policies and event rules.
func AppStackPrefix(rack string) string {
	return rack + appStackInfix
}

// AppOfStack is the inverse of AppStack: the app whose stack of rack is
// named stack. Stacks of other racks, the rack's own stack, and stacks
// nested in an app stack (CloudFormation names them
// "<parent>-<LogicalId>-<ID>", with capitals no app name has) are not.
func AppOfStack(rack, stack string) (string, bool) {
	app, ok := strings.CutPrefix(stack, AppStackPrefix(rack))
	if !ok || !lowercaseName(app) {
		return "", false
	}
	return app, true
}

// lowercaseName reports whether s could be a rack or app name as far as
// inverting names needs: a lowercase letter, then lowercase letters,
// digits and hyphens.
func lowercaseName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// Repository is the name of app's ECR repository: "<rack>/<app>", so an
// account's repositories group by rack.
func Repository(rack, app string) string {
	return RepositoryPrefix(rack) + app
}

// RepositoryPrefix starts the name of every repository of rack's apps.
func RepositoryPrefix(rack string) string {
	return rack + "/"
}

// LogGroup is the name of app's CloudWatch Logs log group, as Convox
// spells it: "/convox/<rack>/<app>".
func LogGroup(rack, app string) string {
	return LogGroupPrefix(rack) + app
}

// LogGroupPrefix starts the name of every log group of rack's apps.
func LogGroupPrefix(rack string) string {
	return "/convox/" + rack + "/"
}

// RouterStack is the name of rack's router stack, the balancers in front
// of its apps: "<rack>-router".
func RouterStack(rack string) string {
	return rack + "-router"
}

// RouterStackTags are the tags of rack's router stack, which tell it is
// the rack's.
func RouterStackTags(rack string) map[string]string {
	return map[string]string{TagRack: rack, TagType: TagTypeRouter}
}

// EnvParameterPrefix starts the name of every SSM parameter that holds an
// environment value of one of rack's apps: "/<rack>/apps/".
func EnvParameterPrefix(rack string) string {
	return "/" + rack + "/apps/"
}

// EnvParameterPath is the SSM path of app's environment values:
// "/<rack>/apps/<app>/env/".
func EnvParameterPath(rack, app string) string {
	return EnvParameterPrefix(rack) + app + "/env/"
}

// EnvParameter is the SSM parameter that holds the value of variable key
// that release first needed: "/<rack>/apps/<app>/env/<key>/<release>".
func EnvParameter(rack, app, key, release string) string {
	return EnvParameterPath(rack, app) + key + "/" + release
}

// EventBus is the name of rack's EventBridge bus: "<rack>-events".
func EventBus(rack string) string {
	return rack + "-events"
}

// PasswordHashSetting is the rack setting (in the rack table) that holds
// the sealed hash of the API password.
const PasswordHashSetting = "password-hash"

// ArtifactsBucket is the bucket the installer keeps the racks' code and
// templates in, one per account and region.
func ArtifactsBucket(account, region string) string {
	return "rack-artifacts-" + account + "-" + region
}

// ArtifactsVersion is the folder of the artifacts bucket that holds one
// rack version's artifacts for one architecture (arm64, x86_64): its
// functions' zips under a folder named by their content, and its template,
// ArtifactsTemplate, written last.
func ArtifactsVersion(version, arch string) string {
	return "versions/" + version + "/" + arch + "/"
}

// ArtifactsTemplate is the key of a version's rack template.
func ArtifactsTemplate(version, arch string) string {
	return ArtifactsVersion(version, arch) + "rack.json"
}

// ArtifactsURL is the URL CloudFormation reads an artifact from: S3's
// path-style URL, which it accepts in every region.
func ArtifactsURL(account, region, key string) string {
	return "https://s3." + region + ".amazonaws.com/" + ArtifactsBucket(account, region) + "/" + key
}

// The tags the rack puts on every app stack; CloudFormation copies them to
// the stack's resources. The rack acts only on stacks that carry them with
// its own name and the app's: they are how it tells its stacks from
// someone else's of the same name.
const (
	TagRack       = "Rack"
	TagApp        = "App"
	TagType       = "Type"
	TagTypeApp    = "app"    // an app stack
	TagTypeRack   = "rack"   // a rack's own stack
	TagTypeRouter = "router" // a rack's router
)

// AppStackTags are the tags of app's stack.
func AppStackTags(rack, app string) map[string]string {
	return map[string]string{TagRack: rack, TagApp: app, TagType: TagTypeApp}
}

// Functions are the rack's Lambda functions, by the folder of functions/
// their code is built from.
var Functions = []string{"api", "builds", "customresources", "instances", "notifications", "releases"}

// The outputs of the rack stack that tools read.
const (
	OutputAPIURL          = "ApiUrl"
	OutputAPIID           = "ApiId"
	OutputTableName       = "TableName"
	OutputBucketName      = "BucketName"
	OutputEventBusName    = "EventBusName"
	OutputKeyArn          = "KeyArn"
	OutputDeadLetterQueue = "DeadLetterQueueUrl"
	OutputClusterName     = "ClusterName"
	OutputBuildProject    = "BuildProject"
	OutputBuildLogs       = "BuildLogs"
)

// Parameters of the rack stack that the installer and the API set
// themselves, named as Convox names them where Convox has them.
const (
	ParamVersion       = "Version"
	ParamCodeBucket    = "CodeBucket"
	ParamCodePrefix    = "CodePrefix"
	ParamArchitecture  = "Architecture"
	ParamPassword      = "Password"
	ParamInstanceType  = "InstanceType"
	ParamInstanceCount = "InstanceCount"
	ParamStackRole     = "StackRole"
)
