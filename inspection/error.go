package inspection

import (
	"errors"
	"fmt"
)

// Error codes: the small set every adapter maps its failures to. The HTTP
// layer turns each into a status in one place.
const (
	EINVALID       = "invalid"
	EUNAUTHORIZED  = "unauthorized"
	EFORBIDDEN     = "forbidden"
	ENOTFOUND      = "not_found"
	ECONFLICT      = "conflict"
	ETOOLARGE      = "too_large"
	EUNSUPPORTED   = "unsupported_media_type"
	ETHROTTLED     = "too_many_requests"
	EGONE          = "gone"
	EUNPROCESSABLE = "unprocessable"
	EUNAVAILABLE   = "unavailable"
	EINTERNAL      = "internal"
)

// Error is an application error whose Message is safe to show a user.
// Anything else (driver errors, wrapped causes) stays in the logs.
type Error struct {
	Code    string
	Message string
	// Problems lists each rule an input broke, when there are several,
	// so a client can point at every one.
	Problems []Problem
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an application error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic text so that no internal detail reaches a client.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Internal error."
	}
}

// ErrorMessageOrText is for command-line output, where the operator should
// see the underlying cause too: the user-facing message for application
// errors and the full text of any other error.
func ErrorMessageOrText(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// ProblemsOf returns the list of broken rules carried by err, if any.
func ProblemsOf(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}
