// Package appstack is what an app's CloudFormation stack is made of and
// what its states mean: the template the rack creates it from, the
// parameters it sets, the template a promote renders from a manifest and a
// release (Render), and the app status each stack status stands for. It
// calls no AWS API; the CloudFormation adapter (pkg/aws/cfn) and the stack
// event trigger both read it. docs/app-stack.md describes the stacks.
package appstack

import (
	_ "embed"

	"github.com/rackhq/rack/pkg/names"
)

// CreateTemplate is the template an app's stack is created with, before
// any release: the repository and the log group (Render keeps both, with
// the same ids, properties and parameters, so no update replaces them).
// It is compiled in, so the binary that creates a stack always carries the
// template it was tested with.
//
//go:embed templates/app.json
var CreateTemplate string

// The template's parameters that the rack sets.
const (
	ParamRepositoryName = "RepositoryName"
	ParamLogGroupName   = "LogGroupName"
)

// Parameters are the parameters of app's stack in rack. Those left out
// (the log retention) take the template's defaults.
func Parameters(rack, app string) map[string]string {
	return map[string]string{
		ParamRepositoryName: names.Repository(rack, app),
		ParamLogGroupName:   names.LogGroup(rack, app),
	}
}

// RouterTemplate is the template of a rack's router stack: the balancers
// in front of its apps' services with a port, with the parameters below.
// It is static: parameters and conditions say which balancers and
// listeners exist.
//
//go:embed templates/router.json
var RouterTemplate string

// The router template's parameters.
const (
	RouterVpc         = "Vpc"
	RouterSubnets     = "Subnets"
	RouterCertificate = "Certificate"
	RouterExternal    = "External"
	RouterInternal    = "Internal"
)

// The router template's outputs.
const (
	RouterOutputSecurityGroup = "SecurityGroup"
	RouterOutputHTTP          = "HTTPListener"
	RouterOutputHTTPS         = "HTTPSListener"
	RouterOutputInternalHTTP  = "InternalHTTPListener"
	RouterOutputInternalHTTPS = "InternalHTTPSListener"
	RouterOutputHost          = "Host"
	RouterOutputInternalHost  = "InternalHost"
)
