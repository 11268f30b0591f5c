package web

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// apiVlog is a vlog as the JSON API shows it.
type apiVlog struct {
	ID       uint64    `json:"id"`
	URL      string    `json:"url"`
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	Author   string    `json:"author"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Likes    int       `json:"likes"`
	Comments int       `json:"comments"`
	Video    *string   `json:"video"` // URL of the video to play, null without one or while it is processed
	// VideoInfo describes the video (probe data, processing state,
	// renditions); null without one.
	VideoInfo *apiVideo `json:"video_info"`
}

// apiVideo is a vlog's video as the JSON API shows it.
type apiVideo struct {
	Status     string         `json:"status"`   // "", "queued", "processing", "ready" or "failed"
	Percent    int            `json:"percent"`  // how far processing is
	Duration   float64        `json:"duration"` // seconds; 0 when unknown
	Width      int            `json:"width"`    // displayed size; 0 when unknown
	Height     int            `json:"height"`
	VideoCodec string         `json:"video_codec"` // of the upload
	AudioCodec string         `json:"audio_codec"`
	Poster     string         `json:"poster"`
	Renditions []apiRendition `json:"renditions"` // smallest first
}

// apiRendition is one web-safe copy of a video.
type apiRendition struct {
	URL    string `json:"url"`
	Type   string `json:"type"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int64  `json:"size"`
}

// apiVideoOf describes v with absolute URLs under base.
func apiVideoOf(base string, v *memstore.Video) *apiVideo {
	a := &apiVideo{
		Status: string(v.Job), Percent: v.Percent, Duration: v.Duration.Seconds(), Width: v.Width, Height: v.Height,
		VideoCodec: v.VideoCodec, AudioCodec: v.AudioCodec, Poster: base + posterURL(v), Renditions: []apiRendition{},
	}
	for _, r := range v.Renditions {
		a.Renditions = append(a.Renditions, apiRendition{URL: base + "/media/" + r.Hash, Type: "video/mp4", Width: r.Width, Height: r.Height, Size: r.Size})
	}
	return a
}

func (s *Site) apiVlog(r *httpraw.Request, v *memstore.Vlog) apiVlog {
	base := s.baseURL
	a := apiVlog{
		ID: v.ID, URL: base + vlogPath(v.ID), Title: v.Title, Body: v.Body, Author: v.Author,
		Created: v.Created, Updated: v.Updated,
		Likes: s.store.LikeCount(v.ID), Comments: s.store.CommentCount(v.ID),
	}
	if v.Video != nil {
		if p := newPlayer(v.Title, v.Video, false); len(p.Sources) > 0 {
			u := base + p.Sources[len(p.Sources)-1].Src // the largest
			a.Video = &u
		}
		a.VideoInfo = apiVideoOf(base, v.Video)
	}
	return a
}

// apiVlogList answers GET /api/vlogs: a page of vlogs, newest first, and
// the address of the next (older) page or null.
func (s *Site) apiVlogList(w httpraw.ResponseWriter, r *httpraw.Request) {
	c, ok := parseCursor(r)
	if !ok {
		writeJSON(w, 400, map[string]string{"error": "malformed cursor: use before=ID or after=ID with a positive ID"})
		return
	}
	p := s.store.Vlogs(c, memstore.DefaultPageSize)
	out := struct {
		Vlogs []apiVlog `json:"vlogs"`
		Next  *string   `json:"next"`
	}{Vlogs: []apiVlog{}}
	for _, v := range p.Vlogs {
		out.Vlogs = append(out.Vlogs, s.apiVlog(r, v))
	}
	if p.Older != 0 {
		next := "/api/vlogs?before=" + strconv.FormatUint(p.Older, 10)
		out.Next = &next
	}
	writeJSON(w, 200, out)
}

// apiVlogShow answers GET /api/vlogs/{id}.
func (s *Site) apiVlogShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	id, ok := parseID(r.Param("id"))
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "not found"})
		return
	}
	v, err := s.store.Vlog(id)
	if errors.Is(err, memstore.ErrNotFound) {
		writeJSON(w, 404, map[string]string{"error": "not found"})
		return
	}
	if err != nil {
		s.logger.Error("api", "path", r.Path, "err", err)
		writeJSON(w, 500, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, 200, s.apiVlog(r, v))
}

func writeJSON(w httpraw.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":"internal error"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
