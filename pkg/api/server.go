// Package api is the rack's HTTP API: one route table over the use cases,
// JSON in and out, HTTP Basic authentication as the Convox CLI sends it.
// The same handler serves API Gateway (through the Lambda adapter in
// functions/api) and a plain local server.
package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Authenticator checks the credentials of a request.
type Authenticator interface {
	// Verify returns nil, or an EUNAUTHORIZED error that says nothing about
	// which part was wrong.
	Verify(ctx context.Context, remoteAddr, user, password string) error
}

// Config wires a Server: the use cases of each noun, through the
// interfaces in nouns.go, and the authenticator.
type Config struct {
	Apps       Apps
	Builds     Builds
	Releases   Releases
	Promotions Promotions
	Services   Services
	Processes  Processes
	Logs       Logs
	System     System
	Auth       Authenticator
	// Log should come from Logger, so records carry request ids.
	Log *slog.Logger
	// Version is the rack's version, sent back in the Version header.
	Version string
}

// Server is the API's http.Handler.
type Server struct {
	apps      Apps
	builds    Builds
	releases  Releases
	promote   Promotions
	services  Services
	processes Processes
	logs      Logs
	system    System
	auth      Authenticator
	log       *slog.Logger
	version   string
	mux       *http.ServeMux
}

// New returns the API handler.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{apps: c.Apps, builds: c.Builds, releases: c.Releases, promote: c.Promotions, services: c.Services, processes: c.Processes, logs: c.Logs, system: c.System, auth: c.Auth, log: c.Log, version: c.Version, mux: http.NewServeMux()}
	for _, r := range s.Routes() {
		s.mux.Handle(r.Pattern, s.endpoint(r.Handle))
	}
	s.mux.Handle("/", s.endpoint(func(_ http.ResponseWriter, r *http.Request) error {
		return rack.Errorf(rack.ENOTFOUND, "no such route: %s %s", r.Method, r.URL.Path)
	}))
	return s
}

// healthPattern is the one route that needs no credentials.
const healthPattern = "GET /health"

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the id the API gave the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ServeHTTP gives the request an id, checks its credentials unless it is
// the health check, routes it and logs one line for it. Credentials are
// checked before routing, so without them no route, app or build can be
// told from another: every answer is 401.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validRequestID.MatchString(id) {
		id = rand.Text()
	}
	w.Header().Set("X-Request-Id", id)
	if s.version != "" {
		w.Header().Set("Version", s.version)
	}
	ctx := context.WithValue(r.Context(), requestIDKey, id)
	r = r.WithContext(ctx)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}

	_, pattern := s.mux.Handler(r)
	if pattern != healthPattern {
		if err := s.authenticate(r); err != nil {
			rec.Header().Set("WWW-Authenticate", `Basic realm="convox"`)
			s.writeError(rec, r, err)
			s.logRequest(r, pattern, rec.status, start)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
	s.logRequest(r, pattern, rec.status, start)
}

func (s *Server) authenticate(r *http.Request) error {
	user, password, ok := r.BasicAuth()
	if !ok {
		return rack.Errorf(rack.EUNAUTHORIZED, "invalid credentials")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if err := s.auth.Verify(r.Context(), host, user, password); err != nil {
		if rack.IsCode(err, rack.EUNAUTHORIZED) {
			return err
		}
		return fmt.Errorf("authenticate: %w", err)
	}
	return nil
}

// logRequest logs one line a request: never its headers or body, which
// carry the password and environment values.
func (s *Server) logRequest(r *http.Request, pattern string, status int, start time.Time) {
	s.log.InfoContext(r.Context(), "request",
		"method", r.Method,
		"route", pattern,
		"status", status,
		"duration_ms", float64(time.Since(start).Microseconds())/1000,
	)
}

// endpoint turns a handler that returns an error into an http.Handler that
// answers the error as JSON, and a panic as a 500.
func (s *Server) endpoint(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// errorBody is every error answer.
type errorBody struct {
	Error string `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := rack.ErrorCode(err)
	if code == rack.EINTERNAL {
		// The whole error goes to the log, where the request id finds it;
		// the client gets the code's generic message.
		s.log.ErrorContext(r.Context(), "internal error", "error", err.Error())
	}
	writeJSON(w, rack.HTTPStatus(code), errorBody{Error: rack.ErrorMessage(err)})
}

// writeJSON answers v. It returns nil even when the write fails: the
// status is out, and a client that went away is no error of the request.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// maxBody bounds request bodies; sources never pass through the API.
const maxBody = 1 << 20

// decode reads a JSON request body into v, strictly.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return rack.Errorf(rack.EINVALID, "request body is larger than %d bytes", maxBody)
		}
		return rack.Errorf(rack.EINVALID, "invalid JSON body: %v", err)
	}
	if dec.More() {
		return rack.Errorf(rack.EINVALID, "invalid JSON body: more than one value")
	}
	return nil
}

// recorder remembers the status written, for the log line.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
