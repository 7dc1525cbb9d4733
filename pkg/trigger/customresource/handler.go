// Package formation answers the CloudFormation custom resources of the rack
// stack and the app stacks: it is the handler of the customresources function.
//
// A custom resource's stack waits for an answer, an HTTPS PUT to the
// request's presigned ResponseURL, for up to an hour. So the Handler always
// answers, SUCCESS or FAILED: on a panic, a returned error, an AWS error,
// an invalid request, and when the function's deadline comes near (a
// watchdog answers FAILED a few seconds before it). It answers exactly once
// per delivery, within CloudFormation's 4096 bytes, retrying the PUT.
//
// Requests arrive more than once (Lambda's asynchronous retries, a retried
// deployment reusing a RequestId, an emulator re-serving an event), so each
// answer is remembered in the rack's table under the request's identity and
// a replay gets the same answer without running its handler again. Secret
// answer data (the generated rack password) is sealed before it is kept.
// A Delete never depends on that memory: the resources it deletes may
// include the table.
package customresource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rackhq/rack/pkg/rack"
)

// Sealer seals secret answer data before it is remembered; *kms.Sealer is
// one.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, sealed []byte) ([]byte, error)
}

// Defaults of a Config.
const (
	DefaultMargin   = 5 * time.Second
	DefaultRemember = 24 * time.Hour
	DefaultPoll     = 500 * time.Millisecond
)

// Config makes a Handler.
type Config struct {
	Resources Resources
	// Answers remembers answers by request; nil remembers nothing, so
	// replays run their handlers again.
	Answers rack.IdempotencyStore
	// Sealer seals secret answer data before it is remembered; without one
	// secret answers are not remembered.
	Sealer Sealer
	// Responder PUTs answers; nil means a real HTTP client.
	Responder *Responder
	// Margin is how long before the function's deadline the watchdog
	// answers FAILED, leaving time for the PUT (DefaultMargin).
	Margin time.Duration
	// Remember is how long an answer is remembered (DefaultRemember).
	Remember time.Duration
	// Poll is how often a replay looks again at a request another
	// invocation is still working on (DefaultPoll).
	Poll time.Duration
	// Sleep waits between those looks; nil means SleepContext.
	Sleep Sleeper
	// Clock is the time the watchdog reads and the timer it sets; nil
	// means the system's. Tests fire the watchdog when they choose.
	Clock Clock
	Log   *slog.Logger
}

// Clock tells the time and calls f after d, returning a function that
// cancels the call.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Handler answers custom-resource requests.
type Handler struct {
	resources Resources
	answers   rack.IdempotencyStore
	sealer    Sealer
	responder *Responder
	margin    time.Duration
	remember  time.Duration
	poll      time.Duration
	sleep     Sleeper
	clock     Clock
	log       *slog.Logger
	// broken, when set, fails every request that would run a handler.
	broken error
}

// New returns a Handler.
func New(c Config) *Handler {
	h := &Handler{
		resources: c.Resources,
		answers:   c.Answers,
		sealer:    c.Sealer,
		responder: c.Responder,
		margin:    c.Margin,
		remember:  c.Remember,
		poll:      c.Poll,
		sleep:     c.Sleep,
		clock:     c.Clock,
		log:       c.Log,
	}
	if h.clock == nil {
		h.clock = systemClock{}
	}
	if h.responder == nil {
		h.responder = defaultResponder()
	}
	if h.margin <= 0 {
		h.margin = DefaultMargin
	}
	if h.remember <= 0 {
		h.remember = DefaultRemember
	}
	if h.poll <= 0 {
		h.poll = DefaultPoll
	}
	if h.sleep == nil {
		h.sleep = SleepContext
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Failing returns a Handler for a function that could not start: it
// answers every request FAILED with err, except the Delete of a resource
// never created, so that no stack waits an hour on a misconfigured function
// and a failed install can still roll back.
func Failing(err error, log *slog.Logger) *Handler {
	h := New(Config{Log: log})
	h.broken = fmt.Errorf("the customresources function is not configured: %w", err)
	return h
}

// errTimedOut is the cause of the work context's end at the watchdog.
var errTimedOut = errors.New("timed out")

// answer is an answer on its way, and what to remember of it.
type answer struct {
	resp cfn.Response
	// key is the request's answer memory key when this delivery holds its
	// pending record: the answer must be remembered under it.
	key    string
	replay bool
}

// Handle answers one request. It returns nil once the answer is delivered,
// FAILED ones included, and an error when it could not be, so that
// Lambda's retry of the event gets another chance (and replays the
// remembered answer).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	start := time.Now()
	ev, decodeErr := Decode(raw)
	log := h.log.With(requestAttrs(ctx, ev)...)
	if ev.ResponseURL == "" {
		log.ErrorContext(ctx, "request cannot be answered: no usable ResponseURL", "error", decodeErr)
		return fmt.Errorf("custom resource request cannot be answered: %w", decodeErr)
	}
	log.InfoContext(ctx, "request")

	work, cancel := h.watchdog(ctx)
	defer cancel()
	a := h.decide(ctx, work, ev, decodeErr, log)
	body, resp := encodeResponse(a.resp)
	if a.key != "" {
		h.rememberAnswer(ctx, a.key, resp, log)
	}
	attempts, err := h.responder.Put(ctx, ev.ResponseURL, body)
	attrs := []any{
		"status", resp.Status, "physical_id", resp.PhysicalResourceID, "replay", a.replay,
		"attempts", attempts, "bytes", len(body), "duration_ms", time.Since(start).Milliseconds(),
	}
	if resp.Reason != "" {
		attrs = append(attrs, "reason", resp.Reason)
	}
	if err != nil {
		log.ErrorContext(ctx, "answer not delivered", append(attrs, "error", err.Error())...)
		return fmt.Errorf("answer request %s: %w", ev.RequestID, err)
	}
	log.InfoContext(ctx, "answered", attrs...)
	return nil
}

// watchdog returns the context handlers run under: it ends, with cause
// errTimedOut, Margin before ctx's deadline (or halfway there, when that
// is closer) by the Handler's clock, so that a FAILED answer still has
// time to go out.
func (h *Handler) watchdog(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	remaining := deadline.Sub(h.clock.Now())
	margin := h.margin
	if remaining < 2*margin {
		margin = remaining / 2
	}
	work, cancel := context.WithCancelCause(ctx)
	stop := h.clock.AfterFunc(remaining-margin, func() { cancel(errTimedOut) })
	return work, func() {
		stop()
		cancel(context.Canceled)
	}
}

// decide works out the answer to ev: from the answer memory for a replay,
// else by running its handler under the watchdog.
func (h *Handler) decide(ctx, work context.Context, ev cfn.Event, decodeErr error, log *slog.Logger) answer {
	fail := func(physicalID, format string, args ...any) answer {
		return answer{resp: newResponse(ev, cfn.StatusFailed, physicalID, fmt.Sprintf(format, args...))}
	}
	fallbackID := fallbackPhysicalID(ev)
	if decodeErr != nil {
		return fail(fallbackID, "invalid request: %v", decodeErr)
	}
	if ev.RequestType == cfn.RequestDelete && NeverCreated(ev.PhysicalResourceID) {
		// Nothing was created, so there is nothing to delete or remember:
		// this must succeed even where the function can do nothing else.
		log.InfoContext(ctx, "delete of a resource never created")
		return answer{resp: newResponse(ev, cfn.StatusSuccess, fallbackID, "")}
	}
	if h.broken != nil {
		return fail(fallbackID, "%v", h.broken)
	}

	var key string
	if h.answers != nil {
		key = answerKey(ev)
		held, err := h.begin(work, key)
		switch {
		case err == nil && held.replay:
			log.InfoContext(ctx, "replayed request: answering as before")
			resp, err := h.recall(work, ev, held.record)
			if err != nil {
				return fail(fallbackID, "the answer to this request was remembered but cannot be read: %v", err)
			}
			return answer{resp: resp, replay: true}
		case errors.Is(err, errStillPending):
			return fail(fallbackID, "timed out: another invocation is still working on this request")
		case err != nil && work.Err() != nil:
			return fail(fallbackID, "timed out before the request could be recorded: %v", err)
		case err != nil && ev.RequestType != cfn.RequestDelete:
			// Run without memory, a replay could make a second password
			// or run migrations twice at once; a Delete is safe to
			// repeat, and may be deleting the table itself.
			return fail(fallbackID, "cannot record the request in the rack's table: %v", err)
		case err != nil:
			log.WarnContext(ctx, "deleting without the answer memory", "error", err.Error())
			key = ""
		}
	}

	res, err := h.run(work, ev, log)
	resp := newResponse(ev, cfn.StatusSuccess, res.PhysicalID, "")
	resp.NoEcho = res.Secret
	if err != nil {
		resp.Status, resp.Reason = cfn.StatusFailed, err.Error()
	} else {
		resp.Data = res.Data
	}
	return answer{resp: resp, key: key}
}

// run dispatches ev under the watchdog: a handler still running when work
// ends is abandoned to its cancelled context, and its result dropped.
func (h *Handler) run(work context.Context, ev cfn.Event, log *slog.Logger) (Result, error) {
	type outcome struct {
		res Result
		err error
	}
	// Buffered: a handler that finishes after the watchdog must not block.
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- outcome{err: fmt.Errorf("internal error: the %s handler panicked; see the function's log", ev.ResourceType)}
			}
		}()
		res, err := h.resources.Dispatch(work, Request{Event: ev})
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil && work.Err() != nil {
			o.err = fmt.Errorf("timed out: %w", o.err)
		}
		if o.res.PhysicalID == "" {
			// A panic left none.
			o.res.PhysicalID = fallbackPhysicalID(ev)
		}
		return o.res, o.err
	case <-work.Done():
		log.Error("watchdog: the handler is still running near the deadline")
		return Result{PhysicalID: fallbackPhysicalID(ev)}, fmt.Errorf("timed out: the %s handler did not finish before the function's deadline", ev.ResourceType)
	}
}

// fallbackPhysicalID is the physical id of a failed answer when the
// handler gave none: an Update or Delete keeps the resource CloudFormation
// knows, and a Create says it made nothing. What a Create interrupted by
// the watchdog or a panic made so far is unknown, and an answer cannot
// name it.
func fallbackPhysicalID(ev cfn.Event) string {
	if ev.RequestType == cfn.RequestCreate || ev.PhysicalResourceID == "" {
		return FailedPhysicalID(ev.RequestID)
	}
	return ev.PhysicalResourceID
}

// answerKey is the answer memory key of a request: StackId and RequestId
// identify it, the logical id and request type are there for good measure.
// Hashed, so that no field's length or content can upset the table.
func answerKey(ev cfn.Event) string {
	sum := sha256.New()
	for _, f := range []string{ev.StackID, ev.LogicalResourceID, ev.RequestID, string(ev.RequestType)} {
		sum.Write([]byte(f))
		sum.Write([]byte{0})
	}
	return "cfn/" + hex.EncodeToString(sum.Sum(nil))
}

// errStillPending: another invocation held the request until the watchdog.
var errStillPending = errors.New("another invocation is still working on the request")

// held is the outcome of begin.
type held struct {
	record rack.Idempotency
	replay bool
}

// begin claims the request's record, or finds the answer of an earlier
// delivery. While another delivery is still working on it, it waits for
// that one's answer until work ends.
func (h *Handler) begin(work context.Context, key string) (held, error) {
	for {
		rec, mine, err := h.answers.BeginIdempotent(work, key, h.remember)
		switch {
		case err != nil:
			return held{}, err
		case mine:
			return held{record: rec}, nil
		case rec.Status == rack.IdempotencyDone:
			return held{record: rec, replay: true}, nil
		}
		if err := h.sleep(work, h.poll); err != nil {
			return held{}, errStillPending
		}
	}
}

// memo is an answer as remembered. Secret data is kept only sealed.
type memo struct {
	Status     cfn.StatusType `json:"status"`
	PhysicalID string         `json:"physical_id"`
	Reason     string         `json:"reason,omitempty"`
	NoEcho     bool           `json:"no_echo,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	Sealed     []byte         `json:"sealed,omitempty"`
}

// rememberAnswer completes the request's record with resp. Secret data is
// sealed first; when it cannot be, the record is dropped instead, so that
// nothing secret is ever kept in the clear.
func (h *Handler) rememberAnswer(ctx context.Context, key string, resp cfn.Response, log *slog.Logger) {
	m := memo{Status: resp.Status, PhysicalID: resp.PhysicalResourceID, Reason: resp.Reason, NoEcho: resp.NoEcho, Data: resp.Data}
	if resp.NoEcho && len(resp.Data) > 0 {
		sealed, err := h.seal(ctx, resp.Data)
		if err != nil {
			log.ErrorContext(ctx, "secret answer not remembered: a replay will run the handler again", "error", err.Error())
			if err := h.answers.AbandonIdempotent(ctx, key); err != nil {
				log.ErrorContext(ctx, "abandon request record", "error", err.Error())
			}
			return
		}
		m.Data, m.Sealed = nil, sealed
	}
	result, err := json.Marshal(m)
	if err == nil {
		err = h.answers.CompleteIdempotent(ctx, key, result)
	}
	if err != nil {
		log.ErrorContext(ctx, "answer not remembered", "error", err.Error())
	}
}

func (h *Handler) seal(ctx context.Context, data map[string]any) ([]byte, error) {
	if h.sealer == nil {
		return nil, errors.New("no sealer configured")
	}
	plain, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode answer data: %w", err)
	}
	defer clear(plain)
	return h.sealer.Seal(ctx, plain)
}

// recall rebuilds a remembered answer for the delivery ev.
func (h *Handler) recall(ctx context.Context, ev cfn.Event, rec rack.Idempotency) (cfn.Response, error) {
	var m memo
	if err := json.Unmarshal(rec.Result, &m); err != nil {
		return cfn.Response{}, fmt.Errorf("decode: %w", err)
	}
	resp := newResponse(ev, m.Status, m.PhysicalID, m.Reason)
	resp.NoEcho, resp.Data = m.NoEcho, m.Data
	if len(m.Sealed) > 0 {
		if h.sealer == nil {
			return cfn.Response{}, errors.New("its data is sealed and no sealer is configured")
		}
		plain, err := h.sealer.Open(ctx, m.Sealed)
		if err != nil {
			return cfn.Response{}, err
		}
		defer clear(plain)
		if err := json.Unmarshal(plain, &resp.Data); err != nil {
			return cfn.Response{}, fmt.Errorf("decode sealed data: %w", err)
		}
	}
	return resp, nil
}

// requestAttrs are the log attributes of a request. The ResponseURL is
// logged without its query, which holds the presigned signature.
func requestAttrs(ctx context.Context, ev cfn.Event) []any {
	attrs := []any{
		"request_id", ev.RequestID, "request_type", ev.RequestType, "resource_type", ev.ResourceType,
		"logical_id", ev.LogicalResourceID, "stack_id", ev.StackID,
	}
	if ev.PhysicalResourceID != "" {
		attrs = append(attrs, "given_physical_id", ev.PhysicalResourceID)
	}
	if ev.ResponseURL != "" {
		attrs = append(attrs, "response_url", redactURL(ev.ResponseURL))
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, "lambda_request_id", lc.AwsRequestID)
	}
	return attrs
}
