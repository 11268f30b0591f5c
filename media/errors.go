package media

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by Open, Stat, Remove and ExtractPoster when no
// blob has the given hash, and also when the hash is not 64 lowercase hex
// digits: such a name can never be stored, so it is simply absent.
var ErrNotFound = errors.New("blob not found")

// ErrTooLarge is returned by Put when more than limit bytes arrive. Reading
// stops at limit+1 bytes and nothing is stored (Invariant 7: oversized
// bodies are refused before they are taken in whole).
var ErrTooLarge = errors.New("upload too large")

// ErrEmpty is returned by Put when the reader yields no bytes at all.
var ErrEmpty = errors.New("empty upload")

// ErrUnsupportedType is matched (errors.Is) by a *TypeError, returned by Put
// when the content's type is not one the caller accepts, and by
// ExtractPoster when the blob is not a video.
var ErrUnsupportedType = errors.New("unsupported media type")

// ErrNoFFmpeg is returned by ExtractPoster when no ffmpeg executable is on
// the PATH. Callers show a placeholder poster instead; nothing else fails.
var ErrNoFFmpeg = errors.New("ffmpeg not found on PATH")

// ErrUnreadable is returned by Probe and Transcode when ffmpeg cannot make
// sense of a file whose container was recognised: damaged, truncated, a
// codec it cannot decode, or no video stream at all. Callers tell the
// uploader the file cannot be used; nothing else is wrong.
var ErrUnreadable = errors.New("video cannot be read")

// TypeError reports content whose type, decided from its bytes, is not
// accepted. errors.Is(err, ErrUnsupportedType) is true for it.
type TypeError struct {
	Detected string   // what DetectType said; "" when the bytes are no known format
	Accepted []string // what the caller would have taken
}

func (e *TypeError) Error() string {
	what := e.Detected
	if what == "" {
		what = "(not a recognised media format)"
	}
	msg := "media: unsupported type " + what
	if len(e.Accepted) > 0 {
		msg += "; accepted: " + strings.Join(e.Accepted, ", ")
	}
	return msg
}

// Is makes errors.Is(err, ErrUnsupportedType) true.
func (e *TypeError) Is(target error) bool { return target == ErrUnsupportedType }

// CorruptError is returned by Verify when a blob's content no longer hashes
// to its name, or the blob is missing.
type CorruptError struct {
	Hash   string // the blob's name
	Path   string // the file on disk
	Reason string // what is wrong, in words
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("media: blob %s (%s): %s", e.Hash, e.Path, e.Reason)
}
