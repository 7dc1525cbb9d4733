package events

// Wire values of CodeBuild's EventBridge events, documented at
// https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
// Their shape is aws-lambda-go's events.CodeBuildEvent.
const (
	CodeBuildEventSource                = "aws.codebuild"
	CodeBuildBuildStateChangeDetailType = "CodeBuild Build State Change"
)

// Environment variables the rack sets on every build it starts, so that a
// build's events name the app and build they belong to.
const (
	BuildVariableRack  = "RACK"
	BuildVariableApp   = "APP"
	BuildVariableBuild = "BUILD_ID"
)
