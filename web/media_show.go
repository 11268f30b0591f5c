package web

import (
	"vlogd/httpraw"
)

// mediaCSP sandboxes a media response: if a browser were ever talked into
// rendering one as a document, it could run nothing and load nothing.
const mediaCSP = "default-src 'none'; sandbox"

// mediaShow serves an uploaded video or poster by its content hash, with
// byte ranges so a browser can seek, validators for 304s, and the body
// sent with sendfile.
func (s *Site) mediaShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	hash := r.Param("hash")
	f, err := s.store.OpenMedia(hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	if f.Type == "" {
		// Only media the store typed from their bytes are served.
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.Type)
	h.Set("ETag", `"`+hash+`"`)
	// The content of a hash never changes.
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", mediaCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	httpraw.ServeContent(w, r, f.ModTime, f.Size, f.File)
}
