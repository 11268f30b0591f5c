package web

import (
	"fmt"
	"strconv"
	"time"

	"vlogd/memstore"
)

// player is how a vlog's page shows its video: the sources to play, or
// how far the conversion is, or why it failed.
type player struct {
	Title    string         // the vlog's, for the player's accessible name
	Sources  []playerSource // what <video> plays; none while the video is being converted
	Poster   string         // image shown before playing
	Width    int            // displayed size, so the page reserves the space (0: unknown)
	Height   int
	Duration string            // "1:05"; "" when unknown
	Job      memstore.JobState // JobQueued or JobProcessing: show Percent and refresh
	Percent  int
	Failure  string // for the author: why the conversion failed
	Original string // for the author: where to download what they uploaded
	Size     string // of the original, for people
}

// playerSource is one <source> of the player.
type playerSource struct {
	Src   string
	Type  string
	Media string // a media query: the source is for screens that match it; "" for all
}

// refreshSeconds is how often a page showing an unfinished conversion
// reloads itself (no JavaScript needed).
const refreshSeconds = 5

// Main is the source shared with other sites (OpenGraph, oEmbed): the
// largest, which is listed last; nil when nothing plays yet.
func (p *player) Main() *playerSource {
	if p == nil || len(p.Sources) == 0 {
		return nil
	}
	return &p.Sources[len(p.Sources)-1]
}

// Portrait reports a video taller than wide: its player is sized by
// height, so it stays portrait on the page.
func (p *player) Portrait() bool { return p.Height > p.Width }

// Pending reports a conversion still to finish: the page refreshes.
func (p *player) Pending() bool { return p != nil && p.Job.Unfinished() }

// newPlayer builds the player of video v for a visitor; author says
// whether the visitor uploaded it.
func newPlayer(title string, v *memstore.Video, author bool) *player {
	if v == nil {
		return nil
	}
	p := &player{Title: title,
		Poster: posterURL(v), Width: v.Width, Height: v.Height, Duration: durationText(v.Duration),
		Job: v.Job, Percent: v.Percent,
	}
	if author {
		p.Original, p.Size = "/media/"+v.Hash, memstore.SizeText(v.Size)
		p.Failure = v.Failure
	}
	switch v.Job {
	case memstore.JobReady:
		// Smallest first, each for screens no wider than itself: a
		// browser plays the first <source> whose media query matches, so
		// a phone gets 480p and a desktop the largest.
		for i, r := range v.Renditions {
			src := playerSource{Src: "/media/" + r.Hash, Type: "video/mp4"}
			if i < len(v.Renditions)-1 {
				src.Media = "(max-width: " + strconv.Itoa(r.Width) + "px)"
			}
			p.Sources = append(p.Sources, src)
		}
		if n := len(v.Renditions); n > 0 {
			p.Width, p.Height = v.Renditions[n-1].Width, v.Renditions[n-1].Height
		}
	case memstore.JobNone, memstore.JobFailed:
		// Kept as uploaded, or the conversion failed: the original plays
		// where a browser can play it.
		if v.Type == "video/mp4" || v.Type == "video/webm" {
			p.Sources = []playerSource{{Src: "/media/" + v.Hash, Type: v.Type}}
		}
	}
	return p
}

// posterURL is the poster frame of v, or the neutral placeholder.
func posterURL(v *memstore.Video) string {
	if v.Poster != "" {
		return "/media/" + v.Poster
	}
	return "/static/poster.svg"
}

// durationText writes a duration as a video site does: "0:07", "12:05",
// "1:02:03"; "" when unknown.
func durationText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	secs := int64((d + time.Second/2) / time.Second)
	if secs == 0 {
		secs = 1
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// isoDuration writes d as an ISO 8601 duration ("PT65S") for the
// machine-readable datetime of a <time> element.
func isoDuration(d time.Duration) string {
	return "PT" + strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64) + "S"
}
