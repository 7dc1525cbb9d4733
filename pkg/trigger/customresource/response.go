package customresource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// MaxResponseSize is the most CloudFormation reads of an answer's body.
const MaxResponseSize = 4096

// MaxPhysicalIDLength is CloudFormation's limit on a physical resource id.
const MaxPhysicalIDLength = 1024

// truncatedSuffix ends a Reason that was cut to fit the answer.
const truncatedSuffix = "... (truncated)"

// newResponse returns the answer to ev with the fields CloudFormation wants
// copied verbatim.
func newResponse(ev cfn.Event, status cfn.StatusType, physicalID, reason string) cfn.Response {
	return cfn.Response{
		Status:             status,
		RequestID:          ev.RequestID,
		LogicalResourceID:  ev.LogicalResourceID,
		StackID:            ev.StackID,
		PhysicalResourceID: physicalID,
		Reason:             reason,
	}
}

// encodeResponse encodes r within MaxResponseSize: it shortens Reason
// first, and if Data alone is too large it answers FAILED without it. Only
// the copied identifiers can keep an answer too large, and CloudFormation
// never sends identifiers that long. It returns the answer as encoded.
func encodeResponse(r cfn.Response) ([]byte, cfn.Response) {
	body, err := json.Marshal(r)
	if err != nil {
		// Only Data can fail to encode.
		r.Status, r.Data = cfn.StatusFailed, nil
		r.Reason = fmt.Sprintf("encode answer data: %v", err)
		body, _ = json.Marshal(r)
	}
	if len(body) > MaxResponseSize && r.Reason != "" {
		r.Reason = fitReason(r)
		body, _ = json.Marshal(r)
	}
	if len(body) > MaxResponseSize && len(r.Data) > 0 {
		data, _ := json.Marshal(r.Data)
		r.Status, r.Data = cfn.StatusFailed, nil
		r.Reason = fmt.Sprintf("the answer's data is %d bytes; CloudFormation reads at most %d bytes of an answer", len(data), MaxResponseSize)
		body, _ = json.Marshal(r)
	}
	return body, r
}

// fitReason returns the longest start of r's Reason, marked as cut, with
// which r encodes within MaxResponseSize, or "" when none fits. Escaping
// can make an encoded character six times its size, so the cut is found
// by search, not by arithmetic.
func fitReason(r cfn.Response) string {
	reason := r.Reason
	r.Reason = truncatedSuffix
	base, _ := json.Marshal(r)
	budget := MaxResponseSize - len(base)
	if budget < 0 {
		return ""
	}
	encodedLen := func(n int) int {
		b, _ := json.Marshal(truncateUTF8(reason, n))
		return len(b) - 2 // the quotes
	}
	lo, hi := 0, len(reason)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if encodedLen(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return ""
	}
	return truncateUTF8(reason, lo) + truncatedSuffix
}

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Sleeper waits for d or until ctx is done.
type Sleeper func(ctx context.Context, d time.Duration) error

// SleepContext is the real Sleeper.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Responder PUTs answers to their presigned ResponseURL, retrying with
// exponential backoff on network errors, throttling and 5xx answers for as
// long as the context allows.
type Responder struct {
	Client Doer
	Sleep  Sleeper
	// First is the wait before the first retry, doubled for each next one
	// up to Max.
	First, Max time.Duration
	// Attempts caps the tries; the context's deadline usually ends them
	// first.
	Attempts int
	// AttemptTimeout bounds one try.
	AttemptTimeout time.Duration
}

// defaultResponder is a Responder over its own HTTP client.
func defaultResponder() *Responder {
	return &Responder{
		Client:         &http.Client{},
		Sleep:          SleepContext,
		First:          250 * time.Millisecond,
		Max:            4 * time.Second,
		Attempts:       10,
		AttemptTimeout: 10 * time.Second,
	}
}

// permanentError is a failure that retrying cannot change, such as 403
// for an expired URL.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Put sends body to url and reports how many tries it took.
func (r *Responder) Put(ctx context.Context, url string, body []byte) (int, error) {
	wait := r.First
	var err error
	for attempt := 1; ; attempt++ {
		err = r.put(ctx, url, body)
		var perm permanentError
		if err == nil || errors.As(err, &perm) {
			return attempt, err
		}
		if attempt >= r.Attempts || ctx.Err() != nil {
			return attempt, err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return attempt, err
		}
		if serr := r.Sleep(ctx, wait); serr != nil {
			return attempt, err
		}
		wait = min(2*wait, r.Max)
	}
}

func (r *Responder) put(ctx context.Context, url string, body []byte) error {
	if r.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.AttemptTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("put answer to %s: bad request", redactURL(url))}
	}
	// The presigned URL is signed for no Content-Type: any sent value
	// makes S3 refuse the signature.
	req.Header.Del("Content-Type")
	req.ContentLength = int64(len(body))
	res, err := r.Client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, signature and all.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("put answer to %s: %w", redactURL(url), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return fmt.Errorf("put answer: the response URL answered %d", res.StatusCode)
	}
	return permanentError{fmt.Errorf("put answer: the response URL answered %d", res.StatusCode)}
}
