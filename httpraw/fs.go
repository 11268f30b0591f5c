package httpraw

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"strconv"
	"sync"
	"time"
)

// ServeContent answers r with content, a representation of size bytes last
// modified at modtime (zero if unknown).
//
// Content-Type is taken from w's header if set, else
// application/octet-stream; ETag is taken from w's header if set. It sends
// Last-Modified and Accept-Ranges: bytes, evaluates the preconditions of
// RFC 9110 §13.2.2 (If-Match and If-Unmodified-Since → 412, If-None-Match and
// If-Modified-Since → 304), and serves a single byte range (206 with
// Content-Range; suffix ranges; 416 with "bytes */size" when unsatisfiable;
// If-Range). HEAD gets the header only. When content is an *os.File and the
// connection is plain TCP, the body is copied straight to the socket so that
// Linux uses sendfile.
func ServeContent(w ResponseWriter, r *Request, modtime time.Time, size int64, content io.ReadSeeker) {
	h := w.Header()
	if !h.has("Content-Type") {
		h.Set("Content-Type", "application/octet-stream")
	}
	etag := h.Get("ETag")
	if modtime.Unix() <= 0 {
		modtime = time.Time{} // the zero time and the epoch both mean unknown
	}
	if !modtime.IsZero() && !h.has("Last-Modified") {
		h.Set("Last-Modified", modtime.UTC().Format(TimeFormat))
	}
	h.Set("Accept-Ranges", "bytes")

	switch checkPreconditions(r, etag, modtime) {
	case 304:
		// RFC 9110 §15.4.5: a 304 carries the validators, not content
		// metadata.
		h.Del("Content-Type")
		h.Del("Content-Length")
		if etag != "" {
			h.Del("Last-Modified")
		}
		w.WriteHeader(304)
		return
	case 412:
		Error(w, errorBody(412), 412)
		return
	}

	status, start, n := 200, int64(0), size
	if rng := r.Header.Get("Range"); rng != "" && r.Method == "GET" && ifRangeAllows(r.Header.Get("If-Range"), etag, modtime) {
		br, outcome := parseRange(rng, size)
		switch outcome {
		case rangeOK:
			status, start, n = 206, br.start, br.length
			h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
				strconv.FormatInt(start+n-1, 10)+"/"+strconv.FormatInt(size, 10))
		case rangeUnsatisfiable:
			// RFC 9110 §15.5.17: 416 names the current length.
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			Error(w, errorBody(416), 416)
			return
		}
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == "HEAD" || n == 0 {
		return
	}
	if _, err := content.Seek(start, io.SeekStart); err != nil {
		panic(ErrAbortHandler) // the header promised n bytes we cannot send
	}
	if f, ok := content.(*os.File); ok {
		if rw, ok := unwrapResponse(w); ok && !rw.c.isTLS {
			if _, err := rw.sendFile(f, n); err != nil {
				rw.c.log.Debug("httpraw: sendfile", "err", err, "remote", rw.c.remote)
			}
			return
		}
	}
	copyBody(w, content, n)
}

// copyBufPool holds the buffers copyBody reads files and other streams
// through: io.CopyN would allocate one (up to 32 KiB) per response.
var copyBufPool = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

const copyBufSize = 32 << 10

// copyBody writes the next n bytes of content to w.
func copyBody(w ResponseWriter, content io.Reader, n int64) {
	// Content held in memory (bytes.Reader, strings.Reader) writes itself
	// in one call, without a copy through a buffer, when exactly the n
	// bytes wanted remain.
	if m, ok := content.(interface {
		io.WriterTo
		Len() int
	}); ok && int64(m.Len()) == n {
		m.WriteTo(w)
		return
	}
	buf := copyBufPool.Get().(*[copyBufSize]byte)
	defer copyBufPool.Put(buf)
	io.CopyBuffer(w, io.LimitReader(content, n), buf[:])
}

// checkPreconditions evaluates the conditional fields in the order of
// RFC 9110 §13.2.2 and returns 304, 412 or 0 (go on).
func checkPreconditions(r *Request, etag string, modtime time.Time) int {
	h := &r.Header
	if im := h.Get("If-Match"); im != "" {
		if !etagMatch(im, etag, false) {
			return 412
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" && !modtime.IsZero() {
		if t, err := time.Parse(TimeFormat, ius); err == nil && modtime.Truncate(time.Second).After(t) {
			return 412
		}
	}
	getOrHead := r.Method == "GET" || r.Method == "HEAD"
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, etag, true) {
			if getOrHead {
				return 304
			}
			return 412
		}
	} else if ims := h.Get("If-Modified-Since"); ims != "" && getOrHead && !modtime.IsZero() {
		if t, err := time.Parse(TimeFormat, ims); err == nil && !modtime.Truncate(time.Second).After(t) {
			return 304
		}
	}
	return 0
}

// ServeFS serves the file name from fsys with ServeContent: Content-Type from
// the file extension, and, when the file has a modification time, an ETag
// built from it and the size (unless w's header already has one). Names
// that are not valid fs paths (such as "../x"), missing files and
// directories get 404.
func ServeFS(w ResponseWriter, r *Request, fsys fs.FS, name string) {
	if !fs.ValidPath(name) {
		Error(w, errorBody(404), 404)
		return
	}
	f, err := fsys.Open(name)
	if err != nil {
		code := 500
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			code = 404
		}
		Error(w, errorBody(code), code)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		Error(w, errorBody(404), 404)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		Error(w, errorBody(500), 500)
		return
	}
	h := w.Header()
	if !h.has("Content-Type") {
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			h.Set("Content-Type", ct)
		}
	}
	if !h.has("ETag") && fi.ModTime().Unix() > 0 {
		h.Set("ETag", `"`+strconv.FormatInt(fi.ModTime().UnixNano(), 36)+"-"+strconv.FormatInt(fi.Size(), 36)+`"`)
	}
	ServeContent(w, r, fi.ModTime(), fi.Size(), rs)
}
