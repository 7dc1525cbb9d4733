package cfn

// Every name an app's stack gives to AWS comes from here, so that the API,
// the builder and the templates can never disagree about one. They are
// plain concatenations: a rack name and an app name that each pass their
// validation (lowercase, DNS-safe, at most 30 characters) keep every result
// within AWS's limits, which name_test.go checks.

// StackName is the name of app's CloudFormation stack: "<rack>-<app>".
func StackName(rack, app string) string {
	return rack + "-" + app
}

// RepositoryName is the name of app's ECR repository: "<rack>/<app>", so an
// account's repositories group by rack.
func RepositoryName(rack, app string) string {
	return rack + "/" + app
}

// LogGroupName is the name of app's CloudWatch Logs log group, as Convox
// spells it: "/convox/<rack>/<app>".
func LogGroupName(rack, app string) string {
	return "/convox/" + rack + "/" + app
}
