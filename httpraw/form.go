package httpraw

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
)

// ParseForm reads and parses an application/x-www-form-urlencoded body
// (the HTML form default; WHATWG URL §5). It parses only the body: use Query
// for the query string. The result is cached, so calling it again returns the
// same values.
//
// It returns an error wrapping ErrUnsupportedMediaType when the Content-Type
// is anything else (or missing), ErrBodyTooLarge when the body is over the
// request's body limit (when Content-Length says so, without reading the
// body), ErrMalformedBody for broken framing, the body's other read errors
// (ErrBodyTimeout, ErrClientGone), and ErrMalformedForm for a body that is
// not a valid encoding (a bad percent-escape, a ';' separator) or has more
// than MaxFormFields fields.
func (r *Request) ParseForm() (url.Values, error) {
	if r.formDone {
		return r.form, r.formErr
	}
	r.formDone = true
	r.form, r.formErr = r.parseForm()
	return r.form, r.formErr
}

func (r *Request) parseForm() (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("httpraw: parse form: Content-Type %q: %w", ct, ErrUnsupportedMediaType)
	}
	if lim := r.bodyLimit(); lim >= 0 && r.ContentLength > lim {
		return nil, fmt.Errorf("httpraw: parse form: Content-Length %d over %d: %w", r.ContentLength, lim, ErrBodyTooLarge)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("httpraw: parse form: %w", err)
	}
	// Counted here rather than left to url.ParseQuery, whose own cap
	// depends on GODEBUG.
	if n := bytes.Count(b, []byte("&")) + 1; n > MaxFormFields {
		return nil, fmt.Errorf("httpraw: parse form: %w: %d fields, at most %d", ErrMalformedForm, n, MaxFormFields)
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, fmt.Errorf("httpraw: parse form: %w: %w", ErrMalformedForm, err)
	}
	return v, nil
}

// MaxFormFields is the most fields (name=value pairs) ParseForm accepts.
const MaxFormFields = 10000

func (r *Request) bodyLimit() int64 {
	if r.body == nil {
		return -1
	}
	return r.body.limit
}

// MultipartReader returns a streaming reader over a multipart/form-data body
// (RFC 7578), for uploads that must not be held in memory. The body limit
// applies to the raw body as it is read; raise it with SetBodyLimit first.
//
// It returns an error wrapping ErrUnsupportedMediaType when the Content-Type
// is not multipart/form-data with a boundary parameter.
func (r *Request) MultipartReader() (*multipart.Reader, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fmt.Errorf("httpraw: multipart: Content-Type %q: %w", ct, ErrUnsupportedMediaType)
	}
	return multipart.NewReader(r.Body, params["boundary"]), nil
}
