// Package httpraw is vlogd's HTTP/1.1 server, written by hand on
// net.Listener and net.Conn following RFC 9112 (HTTP/1.1 messages) and
// RFC 9110 (HTTP semantics).
//
// It owns the accept loop, the connection lifecycle, request parsing,
// response framing, routing (Mux), static and ranged file serving
// (ServeContent, ServeFS), forms and cookies. It does not know about vlogs,
// templates or storage, imports nothing of vlogd's, and uses neither
// net/http's server nor its parsers (net/http appears only in tests, as a
// reference client and server).
//
// # Rules enforced on requests
//
// Each violation is answered with the status shown and the connection is
// closed, because once the framing of one request is in doubt nothing after
// it on the connection can be trusted (request smuggling):
//
//   - §2.2: lines end in CRLF; a bare LF or bare CR is 400. Up to four empty
//     lines before the request line are ignored.
//   - §3: request-line = method SP request-target SP HTTP-version, single
//     spaces, method a token (400); a method the server does not implement
//     is 501 (RFC 9110 §9.1); a version other than HTTP/1.x is 505
//     (RFC 9110 §15.6.6); a target longer than Server.MaxTargetBytes is 414.
//   - §3.2: origin-form, absolute-form (its authority replaces Host,
//     §3.2.2), authority-form for CONNECT and asterisk-form for OPTIONS are
//     accepted. An HTTP/1.1 request needs exactly one valid Host field (400).
//   - §5.1, §5.2: no whitespace between field name and colon, no obs-fold,
//     field names are tokens, and values hold no NUL, CR, LF or other
//     control bytes (400). A header section longer than
//     Server.MaxHeaderBytes is 431 (RFC 6585 §5).
//   - §6.1, §6.3: Transfer-Encoding and Content-Length together are 400;
//     Transfer-Encoding in HTTP/1.0 is 400; chunked must be the final coding
//     and appear once (400); any other coding is 501. Content-Length is
//     digits only, not repeated, not overflowing (400). No framing field
//     means no body.
//   - §7.1: chunk sizes are hex with a cap of 15 digits; chunk extensions
//     and trailer fields are parsed and bounded; chunk data must be followed
//     by CRLF. A broken chunked body fails Request.Body reads with
//     ErrMalformedBody and closes the connection (400 if the handler has
//     not answered).
//   - RFC 9110 §10.1.1: "Expect: 100-continue" is answered with
//     "HTTP/1.1 100 Continue" on the first Body read (never when the
//     declared length is over the body limit); other expectations are 417.
//
// # Connections
//
// HTTP/1.1 connections persist unless either side sends "Connection: close"
// (§9.3); HTTP/1.0 ones close unless the client asks for keep-alive.
// Pipelined requests are answered in order, and responses are batched in one
// write while the next request is already buffered. A body the handler did
// not read is drained up to 256 KiB, or the connection is closed. Error
// responses are followed by a half-close and a short linger (§9.6) so that
// the client reads the status before the connection goes away.
//
// Timeouts: an idle timeout between requests, a header timeout from the
// first byte of a request (a slow-header client holds one goroutine for at
// most that long), a minimum body rate after a grace period (a body
// trickled slower gets 408) with a stall timeout per read, and a write
// timeout per write. Server.MaxConns caps open connections; at the cap the
// longest-idle connection is closed to admit a new one, so idle keep-alive
// connections cannot lock new clients out. Server.MaxConnsPerAddr caps one
// client address's connections.
//
// # Responses
//
// Every response has a Date (RFC 9110 §6.6.1) and correct framing: a
// Content-Length computed when the handler wrote the whole body (up to
// 8 KiB) before returning or declared by the handler, otherwise chunked
// (HTTP/1.1) or close-delimited (HTTP/1.0). HEAD responses carry the header
// GET would, without content; 1xx, 204 and 304 carry no content. A
// panicking handler gets a 500 (if nothing was sent), a log entry with the
// stack and a closed connection; the server keeps running. Gzip wraps a
// handler to compress text responses for clients that accept it.
//
// # Files
//
// ServeContent and ServeFS serve a representation with Last-Modified,
// Accept-Ranges, the preconditions of RFC 9110 §13.2.2 (304, 412) and a
// single byte range (206; 416 with "bytes */length"); an *os.File body is
// copied straight to the socket, so Linux uses sendfile.
//
// # Lifetimes
//
// A connection reuses its Request, Header, body reader and response buffers
// for every request, so the hot path allocates almost nothing. Request,
// Request.Header and Request.Body must not be used after the handler
// returns; the strings in them are immutable and may be kept.
package httpraw
