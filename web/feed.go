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
	base := siteURL(r)
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
			e.Links = append(e.Links, atomLink{Rel: "enclosure", Type: v.Video.Type, Href: base + "/media/" + v.Video.Hash, Length: v.Video.Size})
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

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// siteURL is the site's own origin as the client addressed it. The render
// cache keys pages by exactly r.Host and r.TLS (pageKey): whatever else
// this comes to read must join that key.
func siteURL(r *httpraw.Request) string {
	scheme := "http://"
	if r.TLS {
		scheme = "https://"
	}
	return scheme + r.Host
}
