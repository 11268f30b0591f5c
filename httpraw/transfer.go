package httpraw

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// bodyMode is how a request body is delimited (RFC 9112 §6.3).
type bodyMode uint8

const (
	bodyNone    bodyMode = iota // no body: neither Content-Length nor Transfer-Encoding
	bodyLength                  // Content-Length bytes
	bodyChunked                 // Transfer-Encoding ending in chunked
)

// maxDrain is how much of a body the handler left unread the server reads
// and discards to keep the connection; past it the connection is closed.
const maxDrain = 256 << 10

// requestFraming decides how r's body is delimited, following RFC 9112 §6.3.
// Every error is a *statusError after which the connection must be closed:
// a request whose length is in doubt cannot be told apart from the next one,
// which is what request smuggling exploits.
func requestFraming(r *Request) (bodyMode, int64, error) {
	var te, cl string
	nTE, nCL := 0, 0
	for _, f := range r.Header.fields {
		switch {
		case equalFold(f.Name, "Transfer-Encoding"):
			nTE++
			if nTE == 1 {
				te = f.Value
			} else {
				te += ", " + f.Value // RFC 9110 §5.3: fields with one name form one list
			}
		case equalFold(f.Name, "Content-Length"):
			nCL++
			cl = f.Value
		}
	}
	if nTE > 0 {
		if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the
			// framing is faulty; treat as unrecoverable.
			return 0, 0, errTEHTTP10
		}
		if nCL > 0 {
			// RFC 9112 §6.3 ¶3: both present is a smuggling attempt;
			// reject and close rather than guess.
			return 0, 0, errTEAndCL
		}
		if err := checkTransferCodings(te); err != nil {
			return 0, 0, err
		}
		return bodyChunked, -1, nil
	}
	if nCL > 1 {
		// RFC 9110 §8.6: several Content-Length lines may be rejected;
		// vlogd rejects even identical ones.
		return 0, 0, errContentLength
	}
	if nCL == 1 {
		n, ok := parseContentLength(cl)
		if !ok {
			return 0, 0, errContentLength
		}
		if n == 0 {
			return bodyNone, 0, nil
		}
		return bodyLength, n, nil
	}
	// RFC 9112 §6.3 ¶7: no framing fields in a request means no body.
	return bodyNone, 0, nil
}

// checkTransferCodings checks the Transfer-Encoding list te
// (RFC 9112 §6.1): chunked must be the final coding and appear once; vlogd
// decodes no other coding.
func checkTransferCodings(te string) error {
	var last string
	n, chunked := 0, 0
	unknown := false
	for rest := te; rest != ""; {
		var elem string
		elem, rest = cutByte(rest, ',')
		elem = trimOWS(elem)
		if elem == "" {
			continue // RFC 9110 §5.6.1: empty list elements are ignored
		}
		name, _ := cutByte(elem, ';') // transfer-parameters
		name = trimOWS(name)
		if !isToken(name) {
			return errChunkedNotLast
		}
		n++
		last = name
		if equalFold(name, "chunked") {
			chunked++
		} else {
			unknown = true
		}
	}
	if n == 0 || !equalFold(last, "chunked") || chunked > 1 {
		// RFC 9112 §6.3 ¶4: chunked not final; the length cannot be
		// determined: 400 and close. §6.1: chunked at most once.
		return errChunkedNotLast
	}
	if unknown {
		// RFC 9112 §6.1: a coding the server does not understand: 501.
		return errTENotImplemented
	}
	return nil
}

// parseContentLength parses Content-Length = 1*DIGIT (RFC 9110 §8.6): no
// sign, no spaces, no hex, no list, and no value that overflows int64.
func parseContentLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false // 18 digits cannot overflow int64
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// body is a request body reader, reused for each request of a connection.
type body struct {
	c         *conn
	mode      bodyMode
	remaining int64 // bodyLength: bytes not yet read
	chunked   chunkedReader
	limit     int64 // < 0: no limit
	read      int64
	err       error // sticky; io.EOF once the body is complete

	expectContinue bool // RFC 9110 §10.1.1: send 100 Continue on the first read
	continueSent   bool
	tooLarge       bool // ErrBodyTooLarge was returned
	broken         bool // framing or I/O failed: the connection must close
}

func (b *body) reset(mode bodyMode, n int64, limit int64) {
	b.mode, b.remaining, b.limit, b.read = mode, n, limit, 0
	b.err = nil
	b.expectContinue, b.continueSent, b.tooLarge, b.broken = false, false, false, false
	if mode == bodyNone {
		b.err = io.EOF
	}
	if mode == bodyChunked {
		b.chunked.reset(b.c.br)
	}
}

// Read reads the body, enforcing the limit.
func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.limit >= 0 && b.mode == bodyLength && b.remaining > b.limit-b.read {
		// The declared length is over the limit: refuse before reading
		// a byte (and before inviting it with 100 Continue).
		return 0, b.setTooLarge()
	}
	if b.expectContinue && !b.continueSent {
		b.continueSent = true
		if err := b.c.writeContinue(); err != nil {
			b.broken = true
			b.err = err
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.limit >= 0 && int64(len(p)) > b.limit-b.read {
		// Read one byte past the limit to learn whether the body
		// really is larger.
		p = p[:b.limit-b.read+1]
	}
	var n int
	var err error
	switch b.mode {
	case bodyLength:
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err = b.c.br.Read(p)
		b.remaining -= int64(n)
		if err == io.EOF && b.remaining > 0 {
			err = fmt.Errorf("%w: %w: %w after %d of %d bytes", ErrClientGone, ErrMalformedBody, io.ErrUnexpectedEOF, b.read+int64(n), b.read+int64(n)+b.remaining)
		} else if err == nil && b.remaining == 0 {
			err = io.EOF
		}
	case bodyChunked:
		n, err = b.chunked.Read(p)
	}
	if b.limit >= 0 && b.read+int64(n) > b.limit {
		n = int(b.limit - b.read)
		b.read += int64(n)
		return n, b.setTooLarge()
	}
	b.read += int64(n)
	if err != nil {
		err = classifyReadError(err)
		b.err = err
		if err != io.EOF {
			b.broken = true
		}
	}
	return n, err
}

// classifyReadError names a failed read of the body for the handler: too
// slow (a deadline), or the client gone (closed or reset). Errors already
// named, and io.EOF, are returned as they are.
func classifyReadError(err error) error {
	switch {
	case err == io.EOF, errors.Is(err, ErrClientGone), errors.Is(err, ErrBodyTimeout):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrBodyTimeout, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: %w", ErrClientGone, err)
	}
	return err
}

func (b *body) setTooLarge() error {
	b.tooLarge, b.broken = true, true
	b.err = fmt.Errorf("%w (limit %d bytes)", ErrBodyTooLarge, b.limit)
	return b.err
}

// complete reports whether the whole body has been read.
func (b *body) complete() bool { return b.err == io.EOF }

// unreadOverDrain reports whether what is left of the body is known to be
// more than the server will drain, or cannot be drained at all, so the
// response should announce Connection: close.
func (b *body) unreadOverDrain() bool {
	switch {
	case b.complete():
		return false
	case b.broken:
		return true
	case b.expectContinue && !b.continueSent:
		// RFC 9110 §10.1.1: the client may not send the body at all;
		// reading it would hang, so close instead.
		return true
	case b.mode == bodyLength:
		return b.remaining > maxDrain
	}
	return false
}

// drain reads and discards the rest of the body, up to maxDrain bytes. It
// reports whether the body is now complete, so the connection can serve the
// next request.
func (b *body) drain() bool {
	if b.complete() {
		return true
	}
	if b.unreadOverDrain() {
		return false
	}
	b.limit = -1 // the handler's limit is about what it reads, not framing
	_, _ = io.CopyN(io.Discard, b, maxDrain+1)
	return b.complete()
}
