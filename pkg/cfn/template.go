package cfn

import (
	_ "embed"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// appTemplate is the template of an app's stack. It is compiled in, so the
// binary that creates a stack always carries the template it was tested
// with.
//
//go:embed templates/app.json
var appTemplate string

// The app template's parameters that the rack sets.
const (
	paramRepositoryName = "RepositoryName"
	paramLogGroupName   = "LogGroupName"
)

// The tags on every app stack. CloudFormation copies a stack's tags onto
// the resources it creates, so an app's repository and log group can be
// found, and billed, by rack and app.
const (
	tagRack    = "Rack"
	tagApp     = "App"
	tagType    = "Type"
	typeAppTag = "app"
)

// appParameters are the parameters of app's stack. Those left out (the log
// retention) take the template's defaults.
func appParameters(rack, app string) []types.Parameter {
	return []types.Parameter{
		{ParameterKey: aws.String(paramRepositoryName), ParameterValue: aws.String(RepositoryName(rack, app))},
		{ParameterKey: aws.String(paramLogGroupName), ParameterValue: aws.String(LogGroupName(rack, app))},
	}
}

// appTags are the tags of app's stack.
func appTags(rack, app string) []types.Tag {
	return []types.Tag{
		{Key: aws.String(tagRack), Value: aws.String(rack)},
		{Key: aws.String(tagApp), Value: aws.String(app)},
		{Key: aws.String(tagType), Value: aws.String(typeAppTag)},
	}
}
