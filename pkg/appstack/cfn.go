package appstack

import (
	"encoding/json"
	"strings"
)

// Template is a CloudFormation template as the rack renders it. It is
// plain data: encoding/json writes it, with map keys sorted, so the same
// template is always the same bytes.
type Template struct {
	AWSTemplateFormatVersion string
	Description              string               `json:",omitempty"`
	Parameters               map[string]Parameter `json:",omitempty"`
	Resources                map[string]Resource
	Outputs                  map[string]Output `json:",omitempty"`
}

// Parameter is a template parameter.
type Parameter struct {
	Type          string
	Description   string   `json:",omitempty"`
	Default       string   `json:",omitempty"`
	AllowedValues []string `json:",omitempty"`
}

// Resource is a template resource. Properties is one of this package's
// property types (taskDefinition, ecsService, ...), each written for the
// CloudFormation type it goes with.
type Resource struct {
	Type       string
	Condition  string   `json:",omitempty"`
	DependsOn  []string `json:",omitempty"`
	Properties any      `json:",omitempty"`
}

// Output is a template output.
type Output struct {
	Description string `json:",omitempty"`
	Value       any
}

// JSON is the template as CloudFormation takes it: compact, since an
// UpdateStack body counts its bytes (see MaxBodySize).
func (t *Template) JSON() ([]byte, error) {
	return json.Marshal(t)
}

// MaxBodySize is the largest template CloudFormation takes in a request's
// TemplateBody; a larger one (up to 1 MB) must be uploaded to S3 and
// passed by TemplateURL.
const MaxBodySize = 51200

// fn is a call of an intrinsic function, such as {"Ref": "LogGroup"}.
type fn map[string]any

// ref is {"Ref": name}: a parameter's value, or a resource's id.
func ref(name string) fn { return fn{"Ref": name} }

// getAtt is {"Fn::GetAtt": [resource, attribute]}.
func getAtt(resource, attribute string) fn {
	return fn{"Fn::GetAtt": []string{resource, attribute}}
}

// sub is {"Fn::Sub": s}: s with ${Name} and ${Resource.Attribute}
// replaced.
func sub(s string) fn { return fn{"Fn::Sub": s} }

// subLiteral escapes s for the text of an Fn::Sub: "${" would start a
// variable, "${!" writes a literal "${".
func subLiteral(s string) string { return strings.ReplaceAll(s, "${", "${!") }

// Pseudo parameters.
const (
	awsRegion    = "AWS::Region"
	awsAccountID = "AWS::AccountId"
)

// arn is an ARN of service in the stack's partition, region and account
// (for IAM, which has no region, with an empty one): resource may hold
// ${...} variables, as Fn::Sub reads them.
func arn(service, resource string) fn {
	region := "${AWS::Region}"
	if service == "iam" {
		region = ""
	}
	return sub("arn:${AWS::Partition}:" + service + ":" + region + ":${AWS::AccountId}:" + resource)
}
