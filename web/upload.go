package web

import (
	"errors"
	"io"
	"mime"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// formOverhead is what a vlog form may add to its video: the text fields
// and the multipart framing.
const formOverhead = 1 << 20

// vlogSubmission is a create or edit form as received: the input and,
// when a video was stored, the function that releases it once the vlog is
// committed.
type vlogSubmission struct {
	in      memstore.VlogInput
	user    *memstore.User
	release func()
}

// readVlogForm reads a create (id 0) or edit form, url-encoded or
// multipart. Nothing is stored before the request is known to come from
// this site (Origin and CSRF token, which the form sends first), from a
// signed-in user allowed to make the change, with valid text; only then is
// the video streamed into the media store. When ok is false it has
// answered.
func (s *Site) readVlogForm(w httpraw.ResponseWriter, r *httpraw.Request, id uint64) (sub vlogSubmission, ok bool) {
	sub.release = func() {}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		form, _, ok := s.postForm(w, r)
		if !ok {
			return sub, false
		}
		sub.in = memstore.VlogInput{Title: form.Get("title"), Body: form.Get("body"), RemoveVideo: form.Get("remove_video") != ""}
		sub.user, ok = s.authorizeVlogForm(w, r, id)
		return sub, ok
	}

	v := s.viewer(r)
	if !sameOrigin(r) {
		s.errorPage(w, r, 403, "This form was sent from another site, so it was refused.")
		return sub, false
	}
	limit := s.maxUpload + formOverhead
	r.SetBodyLimit(limit)
	if r.ContentLength > limit {
		s.uploadTooLarge(w, r)
		return sub, false
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, err)
		return sub, false
	}
	csrfOK := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.failUpload(w, r, err)
			return sub, false
		}
		name := part.FormName()
		if name == csrfField {
			token, err := readField(part, 256)
			if err != nil {
				s.failUpload(w, r, err)
				return sub, false
			}
			csrfOK = validCSRF(r, v, token)
		}
		if !csrfOK {
			// The token comes first in the form; anything before it, or a
			// wrong one, stops here with nothing stored.
			s.errorPage(w, r, 403, "This form has expired or did not come from this site. Go back, reload the page and try again.")
			return sub, false
		}
		switch name {
		case "title":
			sub.in.Title, err = readField(part, 4<<10)
		case "body":
			sub.in.Body, err = readField(part, memstore.MaxBodyBytes+1)
		case "remove_video":
			sub.in.RemoveVideo = true
		case "video":
			if part.FileName() == "" {
				break // no file chosen
			}
			if sub.user == nil {
				if sub.user, ok = s.authorizeVlogForm(w, r, id); !ok {
					return sub, false
				}
			}
			if err := sub.in.Validate(); err != nil {
				s.refuseVlogForm(w, r, id, sub.in, err)
				return sub, false
			}
			video, release, err := s.store.PutVideo(part, s.maxUpload)
			var ve *memstore.ValidationError
			switch {
			case errors.As(err, &ve):
				s.refuseVlogForm(w, r, id, sub.in, err)
				return sub, false
			case errors.Is(err, io.ErrUnexpectedEOF):
				// The multipart body ended inside the video part.
				s.failUpload(w, r, err)
				return sub, false
			case err != nil && !errors.Is(err, memstore.ErrTooLarge) && !errors.Is(err, httpraw.ErrBodyTooLarge):
				s.fail(w, r, err) // the client's read errors are 4xx there; the disk's are 500
				return sub, false
			case err != nil:
				s.uploadTooLarge(w, r)
				return sub, false
			}
			sub.in.Video, sub.release = video, release
		}
		if err != nil {
			s.failUpload(w, r, err)
			return sub, false
		}
	}
	if !csrfOK {
		s.errorPage(w, r, 403, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		return sub, false
	}
	if sub.user == nil {
		sub.user, ok = s.authorizeVlogForm(w, r, id)
	}
	if !ok {
		sub.release()
	}
	return sub, ok
}

// readField reads a text part of at most max bytes; more is cut off, and
// the store's validation then reports the field as too long.
func readField(part io.Reader, max int64) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, max))
	if err != nil {
		return "", err
	}
	// Drain the rest of an over-long field so the next part can be read.
	_, err = io.Copy(io.Discard, part)
	return string(b), err
}

// authorizeVlogForm returns the signed-in user if they may submit this
// form: anyone signed in may create (id 0), only the author may edit.
func (s *Site) authorizeVlogForm(w httpraw.ResponseWriter, r *httpraw.Request, id uint64) (*memstore.User, bool) {
	back := "/vlogs/new"
	if id != 0 {
		back = vlogPath(id) + "/edit"
	}
	u := s.requireUser(w, r, back)
	if u == nil {
		return nil, false
	}
	if id != 0 {
		if err := s.store.CanChange(id, u.ID); err != nil {
			s.fail(w, r, err)
			return nil, false
		}
	}
	return u, true
}

// refuseVlogForm re-renders the form with the message for err (a
// *memstore.ValidationError) and the text the person typed.
func (s *Site) refuseVlogForm(w httpraw.ResponseWriter, r *httpraw.Request, id uint64, in memstore.VlogInput, err error) {
	var ve *memstore.ValidationError
	if !errors.As(err, &ve) {
		s.fail(w, r, err)
		return
	}
	form := vlogForm{ID: id, Title: in.Title, Body: in.Body, Errors: map[string]string{ve.Field: ve.Msg}}
	if id != 0 {
		if v, err := s.store.Vlog(id); err == nil {
			form.HasVideo = v.Video != nil
		}
	}
	s.render(w, r, 422, "vlog_form", form)
}

// failUpload answers an error met while reading the multipart body: the
// client sent too much, or something that is not a well-formed form.
func (s *Site) failUpload(w httpraw.ResponseWriter, r *httpraw.Request, err error) {
	switch {
	case errors.Is(err, httpraw.ErrBodyTooLarge):
		s.uploadTooLarge(w, r)
		return
	case errors.Is(err, httpraw.ErrClientGone), errors.Is(err, httpraw.ErrBodyTimeout):
		s.fail(w, r, err)
		return
	}
	s.logger.Debug("malformed upload", "path", r.Path, "remote", r.RemoteAddr, "err", err)
	s.errorPage(w, r, 400, "The upload was cut off or malformed. Please try again.")
}

// uploadTooLarge is the 413 page, which states the limit.
func (s *Site) uploadTooLarge(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.errorPage(w, r, 413, "That video is too large: the limit is "+memstore.SizeText(s.maxUpload)+". Nothing was stored.")
}
