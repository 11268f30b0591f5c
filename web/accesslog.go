package web

import (
	"context"
	"log/slog"
	"time"

	"vlogd/httpraw"
)

// LogAccess writes the access log line for one request at info: method,
// path (without the query, which may carry tokens), status, body bytes,
// duration and the client's address (see client: a trusted proxy's
// X-Forwarded-For, else the peer). Give it to httpraw.Server.AccessLog.
func (s *Site) LogAccess(r *httpraw.Request, status int, bytes int64, dur time.Duration) {
	if !s.logger.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	s.logger.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("method", r.Method),
		slog.String("path", r.Path),
		slog.Int("status", status),
		slog.Int64("bytes", bytes),
		slog.Duration("dur", dur),
		slog.String("client", s.clientAddr(r)))
}
