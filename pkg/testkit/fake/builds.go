package fake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Sources is the rack's bucket in memory, behind an HTTP server that takes
// the PUTs of upload URLs as S3 takes presigned ones.
type Sources struct {
	mu      sync.Mutex
	objects map[string][]byte
	srv     *httptest.Server
}

// NewSources starts a Sources; Close stops its server.
func NewSources() *Sources {
	s := &Sources{objects: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "only PUT", http.StatusMethodNotAllowed)
			return
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Put(strings.TrimPrefix(r.URL.Path, "/"), data)
	}))
	return s
}

// Close stops the server.
func (s *Sources) Close() { s.srv.Close() }

// Put stores data at key, as an upload does.
func (s *Sources) Put(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = data
}

// Get returns what is stored at key.
func (s *Sources) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.objects[key]
	return data, ok
}

// UploadURL returns the server's URL of key.
func (s *Sources) UploadURL(_ context.Context, key string, _ time.Duration) (string, error) {
	return s.srv.URL + "/" + key, nil
}

// OpenSource reads what is stored at key.
func (s *Sources) OpenSource(_ context.Context, key string) (io.ReadCloser, error) {
	data, ok := s.Get(key)
	if !ok {
		return nil, rack.NotFound("source", key)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// SourceURL names key in the fake bucket.
func (s *Sources) SourceURL(key string) string { return "s3://sources/" + key }

// Builder is CodeBuild in memory: a started job is created until a test
// moves it with Finish or Run.
type Builder struct {
	mu   sync.Mutex
	jobs map[string]rack.JobState // by job id
	// Started lists the jobs started, in order; a retried start of the
	// same build is not listed again.
	Started []rack.BuildJob
	// StartErr, when set, fails every StartJob.
	StartErr error
	// OnStart, when set, runs as a job starts, before StartJob answers:
	// what the job's first events do meanwhile.
	OnStart func(job rack.BuildJob)
}

// NewBuilder returns a Builder.
func NewBuilder() *Builder { return &Builder{jobs: map[string]rack.JobState{}} }

// JobID is the id of the job of build.
func JobID(build string) string { return "builder:" + strings.ToLower(build) }

// StartJob starts a job, once per build.
func (b *Builder) StartJob(_ context.Context, job rack.BuildJob) (rack.JobState, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.StartErr != nil {
		return rack.JobState{}, b.StartErr
	}
	id := JobID(job.Build)
	if st, ok := b.jobs[id]; ok {
		return st, nil
	}
	st := rack.JobState{ID: id, Status: rack.BuildCreated, LogGroup: "/builds", LogStream: strings.ToLower(job.Build)}
	b.jobs[id] = st
	b.Started = append(b.Started, job)
	if b.OnStart != nil {
		b.mu.Unlock()
		defer b.mu.Lock()
		b.OnStart(job)
	}
	return st, nil
}

// Finish moves the job of build to status, failing for reason.
func (b *Builder) Finish(build string, status rack.BuildStatus, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.jobs[JobID(build)]
	st.Status, st.Reason = status, reason
	b.jobs[JobID(build)] = st
}

// Jobs reads jobs' states.
func (b *Builder) Jobs(_ context.Context, ids []string) ([]rack.JobState, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []rack.JobState
	for _, id := range ids {
		if st, ok := b.jobs[id]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// Logs is CloudWatch Logs in memory; a cursor is the index of the next
// event.
type Logs struct {
	mu      sync.Mutex
	streams map[string][]rack.LogEvent
}

// NewLogs returns empty Logs.
func NewLogs() *Logs { return &Logs{streams: map[string][]rack.LogEvent{}} }

// Write appends lines to a stream.
func (l *Logs) Write(group, stream string, at time.Time, lines ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range lines {
		l.streams[group+"|"+stream] = append(l.streams[group+"|"+stream], rack.LogEvent{Time: at, Message: line})
	}
}

// ReadLog reads a stream from cursor on.
func (l *Logs) ReadLog(_ context.Context, group, stream, cursor string, limit int) ([]rack.LogEvent, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.streams[group+"|"+stream]
	from := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 || n > len(evs) {
			return nil, "", rack.Errorf(rack.EINVALID, "bad cursor %q", cursor)
		}
		from = n
	}
	to := min(len(evs), from+limit)
	return append([]rack.LogEvent(nil), evs[from:to]...), strconv.Itoa(to), nil
}

// Images records the images deleted.
type Images struct {
	mu      sync.Mutex
	Deleted []string // app:tag
}

// DeleteImages records the deletion.
func (i *Images) DeleteImages(_ context.Context, app string, tags []string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, t := range tags {
		i.Deleted = append(i.Deleted, fmt.Sprintf("%s:%s", app, t))
	}
	return nil
}
