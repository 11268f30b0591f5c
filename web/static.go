package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"time"

	"vlogd/httpraw"
)

//go:embed static
var staticFS embed.FS

// staticFile is one embedded asset with its validator computed at start.
type staticFile struct {
	content     []byte
	contentType string
	etag        string
}

// loadStatic reads every embedded asset into a map keyed by its name under
// static/. Requests are looked up in that map and nowhere else, so no path
// a client sends can reach outside it.
func loadStatic() (map[string]*staticFile, error) {
	files := make(map[string]*staticFile)
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		files[name[len("static/"):]] = &staticFile{
			content:     b,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static files: %w", err)
	}
	return files, nil
}

// staticFile serves an embedded asset with its ETag, so browsers revalidate
// cheaply (304) and byte ranges work as for any file.
func (s *Site) staticFile(w httpraw.ResponseWriter, r *httpraw.Request) {
	f, ok := s.static[r.Param("path")]
	if !ok {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	httpraw.ServeContent(w, r, time.Time{}, int64(len(f.content)), bytes.NewReader(f.content))
}
