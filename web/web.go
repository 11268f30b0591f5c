package web

import (
	"html/template"
	"log/slog"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// Options configure a Site. The zero value is usable.
type Options struct {
	// Logger receives handler errors; nil discards.
	Logger *slog.Logger
}

// Site holds what the handlers depend on. Build it with New; serve
// Handler().
type Site struct {
	store  *memstore.Store
	logger *slog.Logger
	pages  map[string]*template.Template
	static map[string]*staticFile
}

// New parses every template and loads the static files, failing fast if any
// of them is broken.
func New(store *memstore.Store, opts Options) (*Site, error) {
	s := &Site{store: store, logger: opts.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the whole site as one handler.
func (s *Site) Handler() httpraw.Handler {
	return securityHeaders(s.routes())
}
