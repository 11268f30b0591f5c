package httpraw

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"strings"
)

// Request is one parsed HTTP/1.x request.
//
// The server reuses a connection's Request (and its Header) for the next
// request on that connection, so neither may be kept or used after the
// handler returns. Its strings are immutable and may be kept.
type Request struct {
	// Method is the request method, e.g. "GET" (RFC 9110 §9).
	Method string
	// Target is the request-target exactly as received (RFC 9112 §3.2).
	Target string
	// Path is the percent-decoded absolute path, e.g. "/vlogs/3". For
	// absolute-form targets it is the path part ("/" if empty); for the
	// asterisk form it is "*"; for the authority form (CONNECT) it is "".
	Path string
	// RawQuery is the query without the "?", still percent-encoded.
	RawQuery string
	// Proto is the protocol version, e.g. "HTTP/1.1".
	Proto      string
	ProtoMajor int
	ProtoMinor int
	// Header holds the request's field lines in order.
	Header Header
	// Host is the Host field, or the authority of an absolute-form target,
	// which takes precedence (RFC 9112 §3.2.2).
	Host string
	// ContentLength is the declared body length: 0 when there is no body,
	// -1 when the body is chunked.
	ContentLength int64
	// Body reads the request body. It is never nil. Reads past the body
	// limit return ErrBodyTooLarge; broken framing returns
	// ErrMalformedBody. The server drains or discards what the handler
	// does not read.
	Body io.Reader
	// RemoteAddr is the client's network address, "ip:port".
	RemoteAddr string
	// TLS reports whether the request arrived over crypto/tls.
	TLS bool

	body     *body
	params   []param
	paramBuf [4]param
	query    url.Values
	form     url.Values
	formErr  error
	formDone bool
	// wantClose: the client asked to close after this exchange
	// (RFC 9112 §9.3, §9.6).
	wantClose bool
	// keepAlive10: an HTTP/1.0 client asked for keep-alive.
	keepAlive10 bool
}

type param struct{ name, value string }

// Param returns the value of the route parameter name captured by the Mux
// pattern that matched (for "GET /vlogs/{id}", Param("id")), or "".
func (r *Request) Param(name string) string {
	for _, p := range r.params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// Query returns the parsed query string. Malformed pairs are skipped. The
// result is cached for the request.
func (r *Request) Query() url.Values {
	if r.query == nil {
		r.query, _ = url.ParseQuery(r.RawQuery)
	}
	return r.query
}

// SetBodyLimit overrides the server's MaxBodyBytes for this request. Call it
// before reading the body. n < 0 removes the limit.
func (r *Request) SetBodyLimit(n int64) {
	if r.body != nil {
		r.body.limit = n
	}
}

// reset prepares r for the next request on its connection. Header fields are
// kept: materialize compares the next request's bytes against them to avoid
// allocating the same strings again.
func (r *Request) reset() {
	r.Path, r.RawQuery, r.Host = "", "", ""
	r.ContentLength = 0
	r.params = r.paramBuf[:0]
	r.query, r.form, r.formErr, r.formDone = nil, nil, nil, false
	r.wantClose, r.keepAlive10 = false, false
}

// span is a byte range in rawRequest.buf.
type span struct{ lo, hi int }

type rawField struct{ name, value span }

// rawRequest is a request head as byte ranges into one reused buffer, before
// any string is made.
type rawRequest struct {
	buf            []byte
	method, target span
	major, minor   int
	fields         []rawField
}

func (rr *rawRequest) bytes(s span) []byte { return rr.buf[s.lo:s.hi] }

// Limits on the parts of a request head.
const (
	maxMethodLen      = 32
	maxLeadingCRLF    = 4
	requestLineExtras = maxMethodLen + len(" ") + len(" HTTP/1.1\r\n")
)

// readRequestHead reads a request line and its field lines from br into rr.
// It returns io.EOF if the connection closed cleanly before any byte of a
// request, a *statusError for a malformed head, or the read error.
func readRequestHead(br *bufio.Reader, rr *rawRequest, maxTarget, maxHeader int) error {
	rr.buf = rr.buf[:0]
	rr.fields = rr.fields[:0]
	var err error
	// RFC 9112 §2.2: a server SHOULD ignore at least one empty line
	// received before the request-line.
	for i := 0; ; i++ {
		rr.buf, err = appendLine(br, rr.buf[:0], maxTarget+requestLineExtras, errTargetTooLong)
		if err != nil {
			if err == io.EOF && len(rr.buf) > 0 {
				err = errHeaderIncomplete
			}
			return err
		}
		if len(rr.buf) > 0 {
			break
		}
		if i == maxLeadingCRLF {
			return errRequestLine
		}
	}
	if err := parseRequestLine(rr, maxTarget); err != nil {
		return err
	}
	budget := maxHeader
	for {
		start := len(rr.buf)
		rr.buf, err = appendLine(br, rr.buf, budget, errHeaderTooLarge)
		if err != nil {
			if err == io.EOF {
				err = errHeaderIncomplete
			}
			return err
		}
		budget -= len(rr.buf) - start + 2
		if len(rr.buf) == start {
			return nil // the empty line ending the header section
		}
		f, err := parseFieldLine(rr.buf, start)
		if err != nil {
			return err
		}
		rr.fields = append(rr.fields, f)
	}
}

// appendLine appends one line from br to buf without its CRLF. A line longer
// than max bytes (CRLF included) returns tooLong; a line ending in a bare LF
// returns errBareLF (RFC 9112 §2.2 lets a recipient accept a lone LF; vlogd
// does not, so that no front end and vlogd can disagree on where a line ends).
func appendLine(br *bufio.Reader, buf []byte, max int, tooLong error) ([]byte, error) {
	start := len(buf)
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)-start+len(frag) > max {
			return buf, tooLong
		}
		buf = append(buf, frag...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
	n := len(buf)
	if n-start < 2 || buf[n-2] != '\r' {
		return buf, errBareLF
	}
	return buf[:n-2], nil
}

// parseRequestLine splits rr.buf, which holds the request line, following
// RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
func parseRequestLine(rr *rawRequest, maxTarget int) error {
	line := rr.buf
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return errRequestLine
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 {
		return errRequestLine // RFC 9112 §3: the version is not optional (no HTTP/0.9)
	}
	sp2 += sp1 + 1
	rr.method = span{0, sp1}
	rr.target = span{sp1 + 1, sp2}
	version := line[sp2+1:]

	// RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
	if len(version) != 8 || string(version[:5]) != "HTTP/" || version[6] != '.' ||
		!isDigit(version[5]) || !isDigit(version[7]) {
		if bytes.IndexByte(version, '\r') >= 0 {
			return errBareCR
		}
		return errVersion
	}
	rr.major, rr.minor = int(version[5]-'0'), int(version[7]-'0')
	if rr.major != 1 {
		// RFC 9110 §15.6.6: 505 for a major version we do not serve.
		return errVersionNotSupp
	}
	method := rr.bytes(rr.method)
	if len(method) == 0 || len(method) > maxMethodLen {
		return errMethodToken
	}
	for _, c := range method {
		if !isTchar(c) {
			if c == '\r' {
				return errBareCR
			}
			return errMethodToken
		}
	}
	target := rr.bytes(rr.target)
	if len(target) == 0 {
		return errRequestLine // two SPs in a row
	}
	if len(target) > maxTarget {
		return errTargetTooLong // RFC 9112 §3: 414 for a target longer than we parse
	}
	for _, c := range target {
		// RFC 3986 §2: no controls, SP or DEL in a URI.
		if c <= ' ' || c == 0x7f {
			if c == '\r' {
				return errBareCR
			}
			return errTarget
		}
	}
	if methodName(method) == "" {
		return errNotImplemented // RFC 9110 §9.1: 501 for unrecognized methods
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// methodName returns the constant string for a method the server implements,
// or "" (so turning the bytes into a string never allocates).
func methodName(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "OPTIONS":
		return "OPTIONS"
	case "TRACE":
		return "TRACE"
	case "CONNECT":
		return "CONNECT"
	}
	return ""
}

var protoNames = [10]string{"HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.3", "HTTP/1.4",
	"HTTP/1.5", "HTTP/1.6", "HTTP/1.7", "HTTP/1.8", "HTTP/1.9"}

// parseFieldLine checks the field line buf[start:] against RFC 9112 §5:
// field-line = field-name ":" OWS field-value OWS.
func parseFieldLine(buf []byte, start int) (rawField, error) {
	line := buf[start:]
	if line[0] == ' ' || line[0] == '\t' {
		// RFC 9112 §5.2: obs-fold in a request MUST be rejected with 400
		// (or replaced); §2.2: so must whitespace before the first field.
		return rawField{}, errObsFold
	}
	i := 0
	for i < len(line) && isTchar(line[i]) {
		i++
	}
	if i == len(line) {
		return rawField{}, errNoColon
	}
	switch c := line[i]; {
	case c == ':':
		if i == 0 {
			return rawField{}, errFieldName
		}
	case c == ' ' || c == '\t':
		// RFC 9112 §5.1: no whitespace between field name and colon; 400.
		return rawField{}, errSpaceBeforeColon
	case c == '\r':
		return rawField{}, errBareCR
	default:
		return rawField{}, errFieldName
	}
	lo, hi := i+1, len(line)
	for lo < hi && (line[lo] == ' ' || line[lo] == '\t') {
		lo++
	}
	for hi > lo && (line[hi-1] == ' ' || line[hi-1] == '\t') {
		hi--
	}
	if !validFieldBytes(line[lo:hi]) {
		// RFC 9110 §5.5: CR, LF and NUL are invalid; so are the other
		// controls we refuse to pass on.
		if bytes.IndexByte(line[lo:hi], '\r') >= 0 {
			return rawField{}, errBareCR
		}
		return rawField{}, errFieldValue
	}
	return rawField{name: span{start, start + i}, value: span{start + lo, start + hi}}, nil
}

// materialize turns rr into r's strings. Strings equal to the previous
// request's on this connection (same target, same field at the same index:
// what a browser sends on a keep-alive connection) are reused; the rest are
// cut from one new string, so a request costs at most one allocation.
func materialize(rr *rawRequest, r *Request) {
	r.Method = methodName(rr.bytes(rr.method))
	r.ProtoMajor, r.ProtoMinor = rr.major, rr.minor
	r.Proto = protoNames[rr.minor]

	miss := 0
	target := rr.bytes(rr.target)
	targetHit := string(target) == r.Target
	if !targetHit {
		miss += len(target)
	}
	prev := r.Header.fields
	n := len(rr.fields)
	if cap(prev) < n {
		grown := make([]Field, n, n+n/2)
		copy(grown, prev)
		prev = grown
	}
	fields := prev[:n]
	for i, f := range rr.fields {
		name, value := rr.bytes(f.name), rr.bytes(f.value)
		if string(name) != fields[i].Name {
			fields[i].Name = ""
			miss += len(name)
		}
		if string(value) != fields[i].Value {
			fields[i].Value = ""
			miss += len(value)
		}
	}
	var s string
	if miss > 0 {
		var sb strings.Builder
		sb.Grow(miss)
		if !targetHit {
			sb.Write(target)
		}
		for i, f := range rr.fields {
			if fields[i].Name == "" {
				sb.Write(rr.bytes(f.name))
			}
			if fields[i].Value == "" {
				sb.Write(rr.bytes(f.value))
			}
		}
		s = sb.String()
	}
	off := 0
	take := func(n int) string {
		off += n
		return s[off-n : off]
	}
	if !targetHit {
		r.Target = take(len(target))
	}
	for i, f := range rr.fields {
		if fields[i].Name == "" {
			fields[i].Name = take(f.name.hi - f.name.lo)
		}
		if fields[i].Value == "" {
			fields[i].Value = take(f.value.hi - f.value.lo)
		}
	}
	r.Header.fields = fields
}
