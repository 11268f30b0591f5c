package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"vlogd/httpraw"
)

// oembedResponse is an oEmbed 1.0 "video" response (oembed.com §2.3.4).
type oembedResponse struct {
	Type            string `json:"type"`
	Version         string `json:"version"`
	Title           string `json:"title"`
	AuthorName      string `json:"author_name"`
	AuthorURL       string `json:"author_url"`
	ProviderName    string `json:"provider_name"`
	ProviderURL     string `json:"provider_url"`
	HTML            string `json:"html"`
	Width           int    `json:"width"`
	Height          int    `json:"height"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
}

// oembedWidth is the iframe's width when the video's size is unknown or
// larger; the height follows the video's aspect.
const oembedWidth = 640

// oembed answers GET /oembed?url=…&format=json for a vlog of this site
// with the iframe of its embeddable player. Other formats get 501, other
// addresses 404, as the oEmbed spec says (§2.3.2).
func (s *Site) oembed(w httpraw.ResponseWriter, r *httpraw.Request) {
	q := r.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		writeJSON(w, 501, map[string]string{"error": "only format=json is served"})
		return
	}
	base := s.baseURL
	u, err := url.Parse(q.Get("url"))
	id, ok := uint64(0), false
	if err == nil && strings.EqualFold(u.Scheme+"://"+u.Host, base) {
		id, ok = parseID(strings.TrimPrefix(u.Path, "/vlogs/"))
		ok = ok && strings.HasPrefix(u.Path, "/vlogs/")
	}
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "not a vlog of this site"})
		return
	}
	v, err := s.store.Vlog(id)
	if err != nil || v.Video == nil {
		writeJSON(w, 404, map[string]string{"error": "no such vlog with a video"})
		return
	}
	width, height := oembedWidth, oembedWidth*9/16
	if v.Video.Width > 0 && v.Video.Height > 0 {
		width = min(oembedWidth, v.Video.Width)
		height = width * v.Video.Height / v.Video.Width
	}
	if mw, err := strconv.Atoi(q.Get("maxwidth")); err == nil && mw > 0 && mw < width {
		height, width = height*mw/width, mw
	}
	if mh, err := strconv.Atoi(q.Get("maxheight")); err == nil && mh > 0 && mh < height {
		width, height = width*mh/height, mh
	}
	embed := base + vlogPath(v.ID) + "/embed"
	writeJSON(w, 200, oembedResponse{
		Type: "video", Version: "1.0", Title: v.Title,
		AuthorName: v.Author, AuthorURL: base + "/users/" + url.PathEscape(v.Author),
		ProviderName: "vlogd", ProviderURL: base + "/",
		HTML:  iframeHTML(embed, v.Title, width, height),
		Width: width, Height: height, ThumbnailURL: base + posterURL(v.Video),
	})
}

// iframeTemplate is the markup an oEmbed consumer inserts; html/template
// escapes the title and address like every page's.
var iframeTemplate = template.Must(template.New("iframe").Parse(
	`<iframe src="{{.Src}}" width="{{.Width}}" height="{{.Height}}" title="{{.Title}}" frameborder="0" allowfullscreen></iframe>`))

func iframeHTML(src, title string, width, height int) string {
	var b strings.Builder
	iframeTemplate.Execute(&b, struct {
		Src, Title    string
		Width, Height int
	}{src, title, width, height})
	return b.String()
}
