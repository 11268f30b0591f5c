package httpraw

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Bounds on the parts of a chunked body that carry no data (RFC 9112 §7.1).
const (
	maxChunkLine     = 4096     // chunk-size plus extensions, CRLF included
	maxChunkSizeHex  = 15       // hex digits: sizes stay below 2^60, so no overflow
	maxChunkOverhead = 16 << 10 // non-data bytes beyond 16 per chunk + 2 per data byte
	maxTrailerBytes  = 8 << 10  // the whole trailer section
)

// chunkedReader decodes the chunked transfer coding (RFC 9112 §7.1) from br.
// It returns io.EOF after the last chunk and the trailer section have been
// read and checked; trailers are discarded. Any violation returns an error
// wrapping ErrMalformedBody, and the reader stays failed.
type chunkedReader struct {
	br       *bufio.Reader
	n        int64 // data bytes left in the current chunk
	checkEnd bool  // the CRLF after chunk data is still to be read
	excess   int64 // non-data overhead, see maxChunkOverhead
	err      error
	line     []byte // scratch for chunk-size and trailer lines
}

func (cr *chunkedReader) reset(br *bufio.Reader) {
	cr.br, cr.n, cr.checkEnd, cr.excess, cr.err = br, 0, false, 0, nil
}

func (cr *chunkedReader) fail(format string, args ...any) {
	cr.err = fmt.Errorf("%w: chunked: "+format, append([]any{ErrMalformedBody}, args...)...)
}

// Read reads decoded data. Like the io.Reader contract asks, it returns what
// it has rather than block for the next chunk header; when the rest of the
// body is already buffered it returns io.EOF along with the last data, so the
// server learns early that the body is complete.
func (cr *chunkedReader) Read(p []byte) (n int, err error) {
	for cr.err == nil {
		if cr.checkEnd {
			if n > 0 && cr.br.Buffered() < 2 {
				break
			}
			// RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
			// Data longer than the size shows up here as a missing CRLF.
			var crlf [2]byte
			if _, err := io.ReadFull(cr.br, crlf[:]); err != nil {
				cr.readFailed(err)
				break
			}
			if crlf != [2]byte{'\r', '\n'} {
				cr.fail("chunk data not followed by CRLF")
				break
			}
			cr.checkEnd = false
		}
		if cr.n == 0 {
			if n > 0 && !cr.lineBuffered() {
				break
			}
			cr.beginChunk()
			continue
		}
		if len(p) == 0 {
			break
		}
		buf := p
		if int64(len(buf)) > cr.n {
			buf = buf[:cr.n]
		}
		m, err := cr.br.Read(buf)
		n += m
		p = p[m:]
		cr.n -= int64(m)
		if err != nil {
			cr.readFailed(err)
			break
		}
		if cr.n == 0 {
			cr.checkEnd = true
		}
	}
	return n, cr.err
}

func (cr *chunkedReader) readFailed(err error) {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		cr.err = fmt.Errorf("%w: %w: chunked: %w", ErrClientGone, ErrMalformedBody, io.ErrUnexpectedEOF)
		return
	}
	cr.err = err
}

// lineBuffered reports whether a whole line is already in br's buffer.
func (cr *chunkedReader) lineBuffered() bool {
	b, _ := cr.br.Peek(cr.br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// beginChunk reads a chunk-size line and, after the last chunk, the trailer
// section.
func (cr *chunkedReader) beginChunk() {
	line, err := cr.readChunkLine(maxChunkLine)
	if err != nil {
		cr.err = err
		return
	}
	size, ok := parseChunkSize(line)
	if !ok {
		cr.fail("bad chunk-size line %q", truncate(line, 40))
		return
	}
	// A sender may stream one byte per chunk, but must not bury the data
	// in extensions; bound the overhead like net/http does.
	cr.excess += int64(len(line)) + 2 - 16 - 2*size
	cr.excess = max(cr.excess, 0)
	if cr.excess > maxChunkOverhead {
		cr.fail("too much non-data")
		return
	}
	if size > 0 {
		cr.n = size
		return
	}
	cr.readTrailers()
}

// readTrailers reads the trailer section after the last chunk
// (RFC 9112 §7.1.2): field lines, checked like header fields, then an empty
// line. Trailers are discarded: nothing in vlogd uses them, and RFC 9110
// §6.5.1 lets a recipient ignore them.
func (cr *chunkedReader) readTrailers() {
	budget := maxTrailerBytes
	for {
		line, err := cr.readChunkLine(budget)
		if err != nil {
			cr.err = err
			return
		}
		if len(line) == 0 {
			cr.err = io.EOF
			return
		}
		budget -= len(line) + 2
		if _, err := parseFieldLine(line, 0); err != nil {
			cr.fail("bad trailer field: %w", err)
			return
		}
	}
}

// readChunkLine reads a CRLF-terminated line of at most max bytes (CRLF
// included) into cr.line and returns it without the CRLF. RFC 9112 allows a
// bare LF in the header section at most, never in chunked framing (erratum
// 7633), so one is an error here.
func (cr *chunkedReader) readChunkLine(max int) ([]byte, error) {
	var err error
	cr.line, err = appendLine(cr.br, cr.line[:0], max, errChunkLineTooLong)
	switch {
	case err == nil:
		if bytes.IndexByte(cr.line, '\r') >= 0 {
			return nil, fmt.Errorf("%w: chunked: bare CR", ErrMalformedBody)
		}
		return cr.line, nil
	case err == io.EOF:
		return nil, fmt.Errorf("%w: chunked: %w", ErrMalformedBody, io.ErrUnexpectedEOF)
	case err == errBareLF, err == errChunkLineTooLong:
		return nil, fmt.Errorf("%w: chunked: %w", ErrMalformedBody, err)
	}
	return nil, err
}

var errChunkLineTooLong = &statusError{400, "chunk line or trailer too long"}

// parseChunkSize parses chunk-size [ chunk-ext ] (RFC 9112 §7.1, §7.1.1):
//
//	chunk-size = 1*HEXDIG
//	chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-val = token / quoted-string
//
// Extensions are checked and ignored.
func parseChunkSize(line []byte) (int64, bool) {
	var size int64
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if i == maxChunkSizeHex {
			return 0, false // would overflow the cap; no body is that large
		}
		size = size<<4 | int64(d)
	}
	if i == 0 {
		return 0, false
	}
	return size, validChunkExt(line[i:])
}

func validChunkExt(s []byte) bool {
	for {
		s = skipBWS(s)
		if len(s) == 0 {
			return true
		}
		if s[0] != ';' {
			return false
		}
		s = skipBWS(s[1:])
		name := tokenPrefix(s)
		if name == 0 {
			return false
		}
		s = skipBWS(s[name:])
		if len(s) == 0 || s[0] != '=' {
			continue
		}
		s = skipBWS(s[1:])
		if len(s) > 0 && s[0] == '"' {
			n, ok := quotedStringLen(s)
			if !ok {
				return false
			}
			s = s[n:]
			continue
		}
		v := tokenPrefix(s)
		if v == 0 {
			return false
		}
		s = s[v:]
	}
}

func skipBWS(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func tokenPrefix(s []byte) int {
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	return i
}

// quotedStringLen returns the length of the quoted-string at the start of s
// (RFC 9110 §5.6.4), or false if it is not one.
func quotedStringLen(s []byte) (int, bool) {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i == len(s) || charClass[s[i]]&classFieldVchar == 0 {
				return 0, false
			}
		case c == '\t' || c == ' ' || c == 0x21 || (0x23 <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e) || c >= 0x80:
		default:
			return 0, false
		}
	}
	return 0, false
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
