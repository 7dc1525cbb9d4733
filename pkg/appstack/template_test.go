package appstack_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
)

// template is the part of a CloudFormation template the checks read.
type template struct {
	Parameters map[string]struct {
		Type          string
		Default       *string
		AllowedValues []string
	}
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
	Outputs map[string]struct {
		Value any
	}
}

func parseAppTemplate(t *testing.T) template {
	t.Helper()
	var tpl template
	require.NoError(t, json.Unmarshal([]byte(appstack.CreateTemplate), &tpl), "the app template is not JSON")
	return tpl
}

func TestAppTemplateReferences(t *testing.T) {
	tpl := parseAppTemplate(t)
	require.NotEmpty(t, tpl.Resources)

	refs, atts := references(tpl)
	for _, ref := range refs {
		_, param := tpl.Parameters[ref]
		_, resource := tpl.Resources[ref]
		require.True(t, param || resource || strings.HasPrefix(ref, "AWS::"), "Ref to %q, which the template does not declare", ref)
	}
	for _, res := range atts {
		require.Contains(t, tpl.Resources, res, "Fn::GetAtt of %q, which the template does not declare", res)
	}
	for name := range tpl.Parameters {
		require.Contains(t, refs, name, "parameter %s is never used", name)
	}
}

func TestAppTemplateParameters(t *testing.T) {
	tpl := parseAppTemplate(t)
	given := appstack.Parameters("prod", "web")
	for name, p := range tpl.Parameters {
		if p.Default == nil {
			require.Contains(t, given, name, "parameter %s has no default and the rack does not set it", name)
		}
		if p.Default != nil && len(p.AllowedValues) > 0 {
			require.Contains(t, p.AllowedValues, *p.Default, "default of parameter %s", name)
		}
	}
	for name := range given {
		require.Contains(t, tpl.Parameters, name, "the rack sets parameter %s, which the template does not declare", name)
	}
	require.Equal(t, names.Repository("prod", "web"), given[appstack.ParamRepositoryName])
	require.Equal(t, names.LogGroup("prod", "web"), given[appstack.ParamLogGroupName])
}

func TestAppTemplateResources(t *testing.T) {
	tpl := parseAppTemplate(t)
	require.Equal(t, "AWS::ECR::Repository", tpl.Resources["Repository"].Type)
	require.Equal(t, map[string]any{"Ref": appstack.ParamRepositoryName}, tpl.Resources["Repository"].Properties["RepositoryName"])
	require.Equal(t, "AWS::Logs::LogGroup", tpl.Resources["LogGroup"].Type)
	require.Equal(t, map[string]any{"Ref": appstack.ParamLogGroupName}, tpl.Resources["LogGroup"].Properties["LogGroupName"])
	require.Equal(t, map[string]any{"Ref": "LogRetention"}, tpl.Resources["LogGroup"].Properties["RetentionInDays"])

	for _, name := range []string{"RepositoryName", "RepositoryUri", "LogGroup"} {
		require.Contains(t, tpl.Outputs, name)
		require.NotNil(t, tpl.Outputs[name].Value, "output %s has no value", name)
	}
}

// subVariable is a ${Name} or ${Resource.Attribute} in an Fn::Sub string;
// ${!Literal} is not one.
var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// references returns the names every Ref and Fn::Sub variable in tpl point
// to, and the resources every Fn::GetAtt reads.
func references(tpl template) (refs, atts []string) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "Ref":
					if s, ok := x.(string); ok {
						refs = append(refs, s)
					}
				case "Fn::GetAtt":
					if l, ok := x.([]any); ok && len(l) > 0 {
						if s, ok := l[0].(string); ok {
							atts = append(atts, s)
						}
					}
				case "Fn::Sub":
					s, _ := x.(string)
					if l, ok := x.([]any); ok && len(l) > 0 {
						s, _ = l[0].(string)
					}
					for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
						name, attr, found := strings.Cut(m[1], ".")
						if found && attr != "" {
							atts = append(atts, name)
						} else {
							refs = append(refs, name)
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, r := range tpl.Resources {
		walk(r.Properties)
	}
	for _, o := range tpl.Outputs {
		walk(o.Value)
	}
	slices.Sort(refs)
	slices.Sort(atts)
	return slices.Compact(refs), slices.Compact(atts)
}
