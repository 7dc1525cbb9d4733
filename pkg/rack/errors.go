package rack

import (
	"errors"
	"fmt"
)

// Error codes. Only the HTTP layer maps them to statuses, and the client maps
// statuses back, so a caller anywhere can branch on ErrorCode(err).
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EINTERNAL     = "internal"
)

// Error is an error with a code and a message fit to show a user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error of a missing thing, in Convox's words: "app not
// found: web", "release not found: RABC".
func NotFound(kind, id string) *Error {
	return Errorf(ENOTFOUND, "%s not found: %s", kind, id)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a
// generic message for any other error, so that internal details (AWS request
// ids, ARNs, stack traces) never reach a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool {
	return err != nil && ErrorCode(err) == code
}

// httpStatuses is the one table between error codes and HTTP statuses. The
// API answers an error with the first status of its code; the client reads
// any status of the table back as its code, so both directions come from
// these lines.
var httpStatuses = []struct {
	code   string
	status int
}{
	{EINVALID, 400},
	{EUNAUTHORIZED, 401},
	{ENOTFOUND, 404},
	{ECONFLICT, 409},
	{EINTERNAL, 500},
	// Read back only: statuses a proxy in front of the API may answer.
	{EUNAUTHORIZED, 403},
	{EINVALID, 413},
}

// HTTPStatus is the HTTP status an error code is answered with.
func HTTPStatus(code string) int {
	for _, s := range httpStatuses {
		if s.code == code {
			return s.status
		}
	}
	return 500
}

// CodeOfHTTPStatus is the error code an HTTP error status stands for;
// EINTERNAL for a status the table does not name.
func CodeOfHTTPStatus(status int) string {
	for _, s := range httpStatuses {
		if s.status == status {
			return s.code
		}
	}
	return EINTERNAL
}
