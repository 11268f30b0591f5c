package httpraw

import (
	"errors"
	"fmt"
)

// ErrServerClosed is returned by Server.Serve after Server.Shutdown has been
// called.
var ErrServerClosed = errors.New("httpraw: server closed")

// ErrBodyTooLarge is returned by Request.Body reads, Request.ParseForm and
// readers built on the body once the request body exceeds the request's body
// limit (Server.MaxBodyBytes, or Request.SetBodyLimit). When the declared
// Content-Length is already over the limit it is returned before any byte of
// the body is read (and before "100 Continue" is sent). Handlers usually answer
// it with 413 Content Too Large; if a handler writes nothing after seeing it,
// the server answers 413 itself.
var ErrBodyTooLarge = errors.New("httpraw: request body too large")

// ErrUnsupportedMediaType is returned by Request.ParseForm and
// Request.MultipartReader when the request's Content-Type is not the one the
// method parses. Handlers usually answer it with 415 Unsupported Media Type.
var ErrUnsupportedMediaType = errors.New("httpraw: unsupported media type")

// ErrBodyNotAllowed is returned by ResponseWriter.Write when the status code
// does not permit a body (1xx, 204, 304; RFC 9110 §15.3.5, §15.4.5).
var ErrBodyNotAllowed = errors.New("httpraw: response status does not allow a body")

// ErrContentLength is returned by ResponseWriter.Write when the handler writes
// more bytes than the Content-Length it declared.
var ErrContentLength = errors.New("httpraw: wrote more than the declared Content-Length")

// ErrAbortHandler is a sentinel panic value: a handler that panics with it
// aborts the response and closes the connection without a logged stack trace.
var ErrAbortHandler = errors.New("httpraw: abort handler")

// ErrMalformedBody is returned by Request.Body reads when the request body's
// framing is broken (a bad chunk size line, missing CRLF after chunk data, an
// oversized trailer, or the client closing before Content-Length bytes
// arrived). The connection is closed after the response; if the handler writes
// nothing, the server answers 400.
var ErrMalformedBody = errors.New("httpraw: malformed request body")

// ErrMalformedForm is returned by Request.ParseForm for a body that is not
// valid application/x-www-form-urlencoded (a bad percent-escape, a ';'
// separator) or has more than MaxFormFields fields: the client's fault,
// usually answered 400.
var ErrMalformedForm = errors.New("httpraw: malformed form")

// ErrBodyTimeout is returned by Request.Body reads when the body arrives
// more slowly than Server.MinBodyRate allows after the grace period, or
// stalls for longer than Server.ReadTimeout. The connection is closed after
// the response; if the handler writes nothing, the server answers 408.
var ErrBodyTimeout = errors.New("httpraw: request body too slow")

// ErrClientGone is returned by Request.Body reads when the client closed or
// reset the connection before the body was complete (a truncated body
// also wraps ErrMalformedBody). Nobody is left to read an answer; it is the
// client's doing, not a server fault.
var ErrClientGone = errors.New("httpraw: client closed the connection")

// statusError is a protocol error found while reading a request. It carries
// the status the server answers with; the connection is always closed after
// such a response because the framing of what follows is in doubt.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("httpraw: %d %s", e.code, e.msg) }

// Protocol errors by rule. Each is answered with its code and the connection
// is closed (RFC 9112 §6.3: framing in doubt means nothing after it can be
// trusted).
var (
	errRequestLine      = &statusError{400, "malformed request line"}
	errMethodToken      = &statusError{400, "method is not a token"}
	errTarget           = &statusError{400, "malformed request target"}
	errVersion          = &statusError{400, "malformed HTTP version"}
	errVersionNotSupp   = &statusError{505, "HTTP version not supported"}
	errNotImplemented   = &statusError{501, "method not implemented"}
	errTargetTooLong    = &statusError{414, "request target too long"}
	errHeaderTooLarge   = &statusError{431, "header block too large"}
	errObsFold          = &statusError{400, "obsolete line folding"}
	errSpaceBeforeColon = &statusError{400, "whitespace between field name and colon"}
	errFieldName        = &statusError{400, "invalid field name"}
	errFieldValue       = &statusError{400, "invalid byte in field value"}
	errBareCR           = &statusError{400, "bare CR"}
	errBareLF           = &statusError{400, "line not terminated by CRLF"}
	errNoColon          = &statusError{400, "field line without colon"}
	errHost             = &statusError{400, "missing, repeated or invalid Host"}
	errContentLength    = &statusError{400, "invalid Content-Length"}
	errTEAndCL          = &statusError{400, "both Transfer-Encoding and Content-Length"}
	errTEHTTP10         = &statusError{400, "Transfer-Encoding in an HTTP/1.0 request"}
	errChunkedNotLast   = &statusError{400, "chunked is not the final transfer coding"}
	errTENotImplemented = &statusError{501, "transfer coding not implemented"}
	errExpectation      = &statusError{417, "unsupported expectation"}
	errHeaderIncomplete = &statusError{400, "connection closed inside the header block"}
)
