package api

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/service"
)

func serviceView(s rack.Service) sdk.Service {
	ports := make([]sdk.ServicePort, 0, len(s.Ports))
	for _, p := range s.Ports {
		ports = append(ports, sdk.ServicePort{Balancer: p.Balancer, Container: p.Container})
	}
	return sdk.Service{Name: s.Name, Domain: s.Domain, Ports: ports, Count: s.Count, Cpu: s.CPU, Memory: s.Memory}
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.services.ListServices(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	out := make([]sdk.Service, 0, len(ss))
	for _, svc := range ss {
		out = append(out, serviceView(svc))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateService(w http.ResponseWriter, r *http.Request) error {
	u, err := decodeServiceUpdate(w, r)
	if err != nil {
		return err
	}
	release, err := s.services.UpdateService(r.Context(), r.PathValue("app"), r.PathValue("service"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sdk.ServiceUpdated{Release: release})
}

func (s *Server) restartService(w http.ResponseWriter, r *http.Request) error {
	if err := s.services.RestartService(r.Context(), r.PathValue("app"), r.PathValue("service")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodeServiceUpdate reads the body of PUT /apps/{app}/services/{service}:
// the JSON of sdk.ServiceUpdateOptions, or the form Convox's client sends
// (count, cpu, memory).
func decodeServiceUpdate(w http.ResponseWriter, r *http.Request) (service.ServiceUpdate, error) {
	kind, data, err := readBody(w, r)
	if err != nil || data == nil {
		return service.ServiceUpdate{}, err
	}
	if kind == contentForm {
		return decodeScaleForm(string(data))
	}
	var body sdk.ServiceUpdateOptions
	if err := decode(w, r, &body); err != nil {
		return service.ServiceUpdate{}, err
	}
	return service.ServiceUpdate{Count: body.Count, CPU: body.Cpu, Memory: body.Memory}, nil
}

// decodeScaleForm reads the form Convox's client sends to scale a service.
func decodeScaleForm(body string) (service.ServiceUpdate, error) {
	var u service.ServiceUpdate
	form, err := url.ParseQuery(body)
	if err != nil {
		return u, rack.Errorf(rack.EINVALID, "invalid form body: %v", err)
	}
	for _, field := range slices.Sorted(maps.Keys(form)) {
		if len(form[field]) != 1 {
			return u, rack.Errorf(rack.EINVALID, "form field %q given %d times", field, len(form[field]))
		}
		n, err := strconv.Atoi(form[field][0])
		if err != nil {
			return u, rack.Errorf(rack.EINVALID, "form field %s: %q is not a number", field, form[field][0])
		}
		switch field {
		case "count":
			u.Count = &n
		case "cpu":
			u.CPU = &n
		case "memory":
			u.Memory = &n
		default:
			return u, rack.Errorf(rack.EINVALID, "unknown form field %q: send count, cpu or memory", field)
		}
	}
	return u, nil
}
