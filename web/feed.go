package web

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// Atom 1.0 (RFC 4287), only the elements vlogd fills.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel    string `xml:"rel,attr,omitempty"`
	Type   string `xml:"type,attr,omitempty"`
	Href   string `xml:"href,attr"`
	Length int64  `xml:"length,attr,omitempty"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Author    atomPerson `xml:"author"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
	// Media is the video with its probe data, in the Media RSS namespace
	// that feed readers and podcast apps know.
	Media *mediaContent `xml:"http://search.yahoo.com/mrss/ content,omitempty"`
}

// mediaContent is Media RSS's <media:content> (Media RSS 1.5.1 §5.1).
type mediaContent struct {
	URL      string `xml:"url,attr"`
	Type     string `xml:"type,attr"`
	Medium   string `xml:"medium,attr"`
	FileSize int64  `xml:"fileSize,attr,omitempty"`
	Duration int64  `xml:"duration,attr,omitempty"` // whole seconds
	Width    int    `xml:"width,attr,omitempty"`
	Height   int    `xml:"height,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// feedSize is how many of the newest vlogs the feed carries.
const feedSize = 20

// feed serves the newest vlogs as an Atom feed. Entry content is plain
// text: encoding/xml escapes it, and feed readers render no markup from it.
func (s *Site) feed(w httpraw.ResponseWriter, r *httpraw.Request) {
	base := s.baseURL
	page := s.store.Vlogs(memstore.Cursor{}, feedSize)
	f := atomFeed{
		ID:    base + "/",
		Title: "vlogd: newest vlogs",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/"},
		},
		// An empty site's feed is as old as the epoch; Atom wants a date.
		Updated: atomTime(time.Unix(0, 0)),
	}
	for _, v := range page.Vlogs {
		if u := atomTime(v.Updated); u > f.Updated {
			f.Updated = u
		}
		link := base + vlogPath(v.ID)
		e := atomEntry{
			ID:        link,
			Title:     v.Title,
			Updated:   atomTime(v.Updated),
			Published: atomTime(v.Created),
			Author:    atomPerson{Name: v.Author, URI: base + "/users/" + v.Author},
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
			Content:   atomText{Type: "text", Body: v.Body},
		}
		if v.Video != nil {
			enc := enclosure(base, v.Video)
			e.Links = append(e.Links, enc)
			e.Media = &mediaContent{URL: enc.Href, Type: enc.Type, Medium: "video", FileSize: enc.Length,
				Duration: int64(v.Video.Duration.Round(time.Second) / time.Second), Width: v.Video.Width, Height: v.Video.Height}
			if n := len(v.Video.Renditions); n > 0 {
				e.Media.Width, e.Media.Height = v.Video.Renditions[n-1].Width, v.Video.Renditions[n-1].Height
			}
		}
		f.Entries = append(f.Entries, e)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(f); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(200)
	w.Write(buf.Bytes())
}

// enclosure links the file a feed reader should fetch: the largest
// rendition once there is one, else the upload.
func enclosure(base string, v *memstore.Video) atomLink {
	if n := len(v.Renditions); n > 0 {
		r := v.Renditions[n-1]
		return atomLink{Rel: "enclosure", Type: "video/mp4", Href: base + "/media/" + r.Hash, Length: r.Size}
	}
	return atomLink{Rel: "enclosure", Type: v.Type, Href: base + "/media/" + v.Hash, Length: v.Size}
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
