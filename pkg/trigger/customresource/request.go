package customresource

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// The request fields, as CloudFormation spells them.
const (
	fieldRequestType   = "RequestType"
	fieldRequestID     = "RequestId"
	fieldResponseURL   = "ResponseURL"
	fieldResourceType  = "ResourceType"
	fieldLogicalID     = "LogicalResourceId"
	fieldPhysicalID    = "PhysicalResourceId"
	fieldStackID       = "StackId"
	fieldProperties    = "ResourceProperties"
	fieldOldProperties = "OldResourceProperties"
)

// Request is a custom-resource request as the handlers of one resource
// type see it.
type Request struct {
	cfn.Event
}

// Properties are the resource's properties as the template states them now
// (for a Delete, as they were when the resource was last created or updated).
func (r Request) Properties() Properties { return Properties(r.ResourceProperties) }

// OldProperties are the properties before an Update: the template's previous
// ones, or, in a rollback, the ones being rolled back from.
func (r Request) OldProperties() Properties { return Properties(r.OldResourceProperties) }

// Decode reads a custom-resource request. It reads each field on its own,
// so that a request that is wrong in one field still yields the others:
// with its ResponseURL and identifiers an invalid request can be answered
// FAILED instead of leaving its stack waiting. The error names every field
// that is missing or malformed.
func Decode(raw []byte) (cfn.Event, error) {
	var ev cfn.Event
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return ev, fmt.Errorf("request is not a JSON object: %w", err)
	}
	var errs []error
	str := func(name string, dst *string, required bool) {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			if required {
				errs = append(errs, fmt.Errorf("%s is missing", name))
			}
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			errs = append(errs, fmt.Errorf("%s is not a string", name))
			return
		}
		if required && *dst == "" {
			errs = append(errs, fmt.Errorf("%s is empty", name))
		}
	}
	props := func(name string, dst *map[string]any) {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			errs = append(errs, fmt.Errorf("%s is not an object", name))
		}
	}

	// The fields an answer needs come first, so they are set whatever
	// else is wrong.
	str(fieldResponseURL, &ev.ResponseURL, true)
	str(fieldRequestID, &ev.RequestID, true)
	str(fieldStackID, &ev.StackID, true)
	str(fieldLogicalID, &ev.LogicalResourceID, true)
	str(fieldPhysicalID, &ev.PhysicalResourceID, false)
	var requestType string
	str(fieldRequestType, &requestType, true)
	ev.RequestType = cfn.RequestType(requestType)
	str(fieldResourceType, &ev.ResourceType, true)
	props(fieldProperties, &ev.ResourceProperties)
	props(fieldOldProperties, &ev.OldResourceProperties)

	if ev.ResponseURL != "" {
		if err := checkResponseURL(ev.ResponseURL); err != nil {
			errs = append(errs, err)
			ev.ResponseURL = ""
		}
	}
	switch ev.RequestType {
	case cfn.RequestCreate, cfn.RequestDelete, "":
	case cfn.RequestUpdate:
		if ev.PhysicalResourceID == "" {
			errs = append(errs, fmt.Errorf("%s is missing from an Update", fieldPhysicalID))
		}
	default:
		errs = append(errs, fmt.Errorf("%s %s is not Create, Update or Delete", fieldRequestType, quote(requestType)))
	}
	if ev.ResourceProperties == nil {
		ev.ResourceProperties = map[string]any{}
	}
	return ev, errors.Join(errs...)
}

// checkResponseURL accepts an absolute http or https URL: CloudFormation
// sends a presigned https S3 URL, an emulator a plain http one.
func checkResponseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s is not an http(s) URL", fieldResponseURL)
	}
	return nil
}

// redactURL returns u without its query, where a presigned URL carries its
// signature, for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// Properties are a resource's properties. CloudFormation passes every
// scalar as a string ("true", "1000"); the accessors also take the JSON
// types themselves, which a direct invocation may send. Their errors name
// the property: "property BucketName: is required".
type Properties map[string]any

// propertyError is an error about one property.
func propertyError(name, format string, args ...any) error {
	return fmt.Errorf("property %s: "+format, append([]any{name}, args...)...)
}

// String returns a required, non-empty string property.
func (p Properties) String(name string) (string, error) {
	s, err := p.OptionalString(name)
	if err == nil && s == "" {
		err = propertyError(name, "is required")
	}
	return s, err
}

// OptionalString returns a string property, "" when it is absent. Its
// errors never quote the value, which may be a secret.
func (p Properties) OptionalString(name string) (string, error) {
	v, ok := p[name]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", propertyError(name, "is a %s, not a string", jsonType(v))
	}
	return s, nil
}

// Bool returns a boolean property, def when it is absent. It takes "true"
// and "false" in any case.
func (p Properties) Bool(name string, def bool) (bool, error) {
	switch v := p[name].(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, propertyError(name, "%s is neither true nor false", quote(v))
	default:
		return false, propertyError(name, "is a %s, not a boolean", jsonType(v))
	}
}

// Int returns a whole-number property between lo and hi, def when it is
// absent.
func (p Properties) Int(name string, def, lo, hi int) (int, error) {
	var n int
	switch v := p[name].(type) {
	case nil:
		return def, nil
	case float64:
		if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
			return 0, propertyError(name, "%v is not a whole number", v)
		}
		n = int(v)
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, propertyError(name, "%s is not a whole number", quote(v))
		}
		n = i
	default:
		return 0, propertyError(name, "is a %s, not a number", jsonType(v))
	}
	if n < lo || n > hi {
		return 0, propertyError(name, "%d is not between %d and %d", n, lo, hi)
	}
	return n, nil
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// quote quotes a value for a message, cut short so that a huge value cannot
// crowd out the rest of a 4 KiB answer.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		return strconv.Quote(truncateUTF8(s, limit)) + "..."
	}
	return strconv.Quote(s)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
