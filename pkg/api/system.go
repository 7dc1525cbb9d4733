package api

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

func (s *Server) health(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Health{Status: "ok", Version: s.version})
}

func (s *Server) authCheck(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, sdk.Auth{User: "convox"})
}

func (s *Server) getSystem(w http.ResponseWriter, r *http.Request) error {
	sys, err := s.system.System(r.Context())
	if err != nil {
		return err
	}
	if sys.Domain == "" {
		// The API's host name is not known to the stack (the API and its
		// function would refer to each other): it is where this request went.
		sys.Domain = r.Host
	}
	return writeJSON(w, http.StatusOK, sdk.System{
		Name: sys.Name, Provider: sys.Provider, Region: sys.Region, Status: string(sys.Status),
		Version: sys.Version, Type: sys.Type, Count: sys.Count, Domain: sys.Domain,
		Outputs: sys.Outputs, Parameters: sys.Parameters,
		StackStatus: sys.StackStatus, StatusReason: sys.StatusReason,
	})
}

func (s *Server) updateSystem(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeSystemUpdate(w, r)
	if err != nil {
		return err
	}
	changes, err := s.system.UpdateSystem(r.Context(), o)
	if err != nil {
		return err
	}
	out := sdk.SystemUpdateResult{Changes: make([]sdk.StackChange, 0, len(changes))}
	for _, c := range changes {
		out.Changes = append(out.Changes, sdk.StackChange{Action: c.Action, LogicalID: c.LogicalID, Type: c.Type, Replacement: c.Replacement})
	}
	return writeJSON(w, http.StatusOK, out)
}

// Content types of PUT /system: the JSON of sdk.SystemUpdateOptions, or
// the form Convox's client sends.
const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

// readBody reads a body that may be JSON or the form Convox's client
// sends: its kind (contentJSON or contentForm) and its bytes, nil when it
// is blank.
func readBody(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	kind := contentJSON
	if ct := r.Header.Get("Content-Type"); ct != "" {
		k, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", nil, rack.Errorf(rack.EINVALID, "invalid Content-Type %q", ct)
		}
		kind = k
	}
	if kind != contentJSON && kind != contentForm {
		return "", nil, rack.Errorf(rack.EINVALID, "Content-Type %s: send %s or %s", kind, contentJSON, contentForm)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, rack.Errorf(rack.EINVALID, "request body is larger than %d bytes", maxBody)
		}
		return "", nil, rack.Errorf(rack.EINVALID, "read body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return kind, nil, nil
	}
	// decode reads the body again, as JSON.
	r.Body = io.NopCloser(bytes.NewReader(data))
	return kind, data, nil
}

// decodeSystemUpdate reads the body of PUT /system. An empty body decodes
// to no options, which the use case refuses with its own message.
func decodeSystemUpdate(w http.ResponseWriter, r *http.Request) (service.SystemUpdateOptions, error) {
	kind, data, err := readBody(w, r)
	if err != nil || data == nil {
		return service.SystemUpdateOptions{}, err
	}
	if kind == contentForm {
		return decodeConvoxForm(string(data))
	}
	var body sdk.SystemUpdateOptions
	if err := decode(w, r, &body); err != nil {
		return service.SystemUpdateOptions{}, err
	}
	return service.SystemUpdateOptions{Parameters: body.Parameters, Version: body.Version}, nil
}

// The fields of the form Convox's client sends: parameters is itself a
// URL-encoded form of names and values; count and type set the instance
// parameters.
const (
	formParameters = "parameters"
	formVersion    = "version"
	formCount      = "count"
	formType       = "type"
)

// decodeConvoxForm reads the form Convox's client sends to PUT /system.
func decodeConvoxForm(body string) (service.SystemUpdateOptions, error) {
	var o service.SystemUpdateOptions
	form, err := url.ParseQuery(body)
	if err != nil {
		return o, rack.Errorf(rack.EINVALID, "invalid form body: %v", err)
	}
	for _, field := range slices.Sorted(maps.Keys(form)) {
		if len(form[field]) != 1 {
			return o, rack.Errorf(rack.EINVALID, "form field %q given %d times", field, len(form[field]))
		}
		switch field {
		case formParameters, formVersion, formCount, formType:
		default:
			return o, rack.Errorf(rack.EINVALID, "unknown form field %q: %s, %s, %s or %s", field, formParameters, formVersion, formCount, formType)
		}
	}
	o.Version = form.Get(formVersion)
	if _, ok := form[formParameters]; ok {
		params, err := url.ParseQuery(form.Get(formParameters))
		if err != nil {
			return o, rack.Errorf(rack.EINVALID, "form field %s: %v", formParameters, err)
		}
		o.Parameters = map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(params)) {
			if len(params[k]) != 1 {
				return o, rack.Errorf(rack.EINVALID, "parameter %q given %d times", k, len(params[k]))
			}
			o.Parameters[k] = params[k][0]
		}
	}
	if count, ok := form[formCount]; ok {
		if _, err := strconv.Atoi(count[0]); err != nil {
			return o, rack.Errorf(rack.EINVALID, "count %q is not a number", count[0])
		}
	}
	for _, f := range [...]struct{ field, param string }{{formCount, names.ParamInstanceCount}, {formType, names.ParamInstanceType}} {
		field, param := f.field, f.param
		v, ok := form[field]
		if !ok {
			continue
		}
		if prev, set := o.Parameters[param]; set && prev != v[0] {
			return o, rack.Errorf(rack.EINVALID, "%s %q and parameter %s %q disagree", field, v[0], param, prev)
		}
		if o.Parameters == nil {
			o.Parameters = map[string]string{}
		}
		o.Parameters[param] = v[0]
	}
	return o, nil
}
