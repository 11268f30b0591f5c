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
// when a video was stored or a kept one taken back, what to release once
// the vlog is committed.
type vlogSubmission struct {
	in      memstore.VlogInput
	user    *memstore.User
	release func()
	// pendingToken names a video kept from an earlier, refused try.
	pendingToken string
	// videoName is the chosen file's name, for the form if it is refused.
	videoName string
	// videoErr is the store's refusal of the chosen file (not a video).
	videoErr error
	// pendingLost is set when the form referred to a kept video that is
	// gone (expired, or the server restarted).
	pendingLost bool
	// kept is set once refuseVlogForm has handed the video to the
	// pending uploads, which then own its release.
	kept bool
}

// done releases the video's hold unless the video was kept for the next
// try of the form.
func (sub *vlogSubmission) done() {
	if !sub.kept {
		sub.release()
	}
}

// errors returns every problem of the submission: the text fields' and the
// video's, in the order of the form.
func (sub *vlogSubmission) errors() formErrors {
	var fe formErrors
	fe.addInvalid(sub.in.Validate(), nil, nil)
	switch {
	case sub.videoErr != nil:
		var ve *memstore.ValidationError
		errors.As(sub.videoErr, &ve)
		fe.add("video", "The video "+ve.Msg+". Please choose a different file.")
	case sub.pendingLost:
		fe.add("video", "The video you chose before was not kept (it expired, or the site restarted). Please choose it again.")
	}
	return fe
}

// readVlogForm reads a create (id 0) or edit form, url-encoded or
// multipart. Nothing is stored before the request is known to come from
// this site (Origin and CSRF token, which the form sends first) from a
// signed-in user allowed to make the change; only then is the video
// streamed into the media store, even if the text is wrong, so that a
// refused form can keep it. A hidden pending_video field takes back a
// video kept that way. When ok is false it has answered and released
// the video.
func (s *Site) readVlogForm(w httpraw.ResponseWriter, r *httpraw.Request, id uint64) (sub vlogSubmission, ok bool) {
	sub.release = func() {}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		form, _, ok := s.postForm(w, r)
		if !ok {
			return sub, false
		}
		sub.in = memstore.VlogInput{Title: form.Get("title"), Body: form.Get("body"), RemoveVideo: form.Get("remove_video") != ""}
		sub.pendingToken = form.Get(pendingField)
		if sub.user, ok = s.authorizeVlogForm(w, r, id); ok {
			s.usePending(&sub)
		}
		return sub, ok
	}

	v := s.viewer(r)
	if !s.sameOrigin(r) {
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
			sub.release()
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
			csrfOK = s.validCSRF(r, v, token)
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
		case pendingField:
			sub.pendingToken, err = readField(part, 128)
		case "video":
			if part.FileName() == "" {
				break // no file chosen
			}
			if sub.user == nil {
				if sub.user, ok = s.authorizeVlogForm(w, r, id); !ok {
					return sub, false
				}
			}
			// The video is stored even when the text is wrong, so that it
			// can be kept for the corrected form.
			video, release, putErr := s.store.PutVideo(part, s.maxUpload)
			switch {
			case memstore.Invalid(putErr) != nil:
				sub.videoErr = putErr
			case errors.Is(putErr, io.ErrUnexpectedEOF):
				// The multipart body ended inside the video part.
				s.failUpload(w, r, putErr)
				return sub, false
			case putErr != nil && !errors.Is(putErr, memstore.ErrTooLarge) && !errors.Is(putErr, httpraw.ErrBodyTooLarge):
				s.fail(w, r, putErr) // the client's read errors are 4xx there; the disk's are 500
				return sub, false
			case putErr != nil:
				s.uploadTooLarge(w, r)
				return sub, false
			default:
				s.logger.Info("video uploaded", "user", sub.user.Name, "hash", video.Hash, "type", video.Type, "bytes", video.Size, "client", s.clientAddr(r))
				sub.release()
				sub.in.Video, sub.release, sub.videoName = video, release, part.FileName()
			}
		}
		if err != nil {
			sub.release()
			s.failUpload(w, r, err)
			return sub, false
		}
	}
	if !csrfOK {
		s.errorPage(w, r, 403, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		return sub, false
	}
	if sub.user == nil {
		if sub.user, ok = s.authorizeVlogForm(w, r, id); !ok {
			return sub, false
		}
	}
	s.usePending(&sub)
	return sub, true
}

// pendingField is the hidden field that names a kept video.
const pendingField = "pending_video"

// usePending takes back the kept video the form names, unless a new file
// was chosen (which replaces it: the kept one is let go).
func (s *Site) usePending(sub *vlogSubmission) {
	if sub.pendingToken == "" {
		return
	}
	k := s.pending.take(sub.pendingToken, sub.user.ID)
	switch {
	case k != nil && (sub.in.Video != nil || sub.videoErr != nil):
		k.release()
	case k != nil:
		sub.in.Video, sub.release, sub.videoName = k.video, k.release, k.name
	case sub.in.Video == nil && sub.videoErr == nil:
		sub.pendingLost = true
	}
}

// uploadFormats tells the vlog form which files it takes: every camera
// format when the store transcodes, else MP4 and WebM, with the reason.
type uploadFormats struct {
	Accept  string // the file input's accept attribute
	Formats string // for people
	Why     string // why only MP4 and WebM; "" when all are taken
}

func (s *Site) uploadFormats() uploadFormats {
	if err := s.store.Transcoding(); err != nil {
		return uploadFormats{Accept: "video/mp4,video/webm", Formats: "MP4 or WebM",
			Why: "Other formats (such as MOV from phones) need ffmpeg, which this server does not have: " + transcodeReason(err) + "."}
	}
	// video/* lets phones offer every recording; the bytes decide.
	return uploadFormats{Accept: "video/*,.mov,.mkv,.avi,.ts,.mts,.m2ts", Formats: "MP4, MOV, MKV, WebM, AVI or MPEG-TS"}
}

// transcodeReason is the short reason transcoding is off, for the form.
func transcodeReason(err error) string {
	if errors.Is(err, memstore.ErrNoFFmpeg) {
		return "ffmpeg and ffprobe are not installed"
	}
	return "conversion is turned off"
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

// refuseVlogForm re-renders the form with every message and the text the
// person typed. A video that came with it is kept for the next try (the
// form then says so), so it need not be chosen again.
func (s *Site) refuseVlogForm(w httpraw.ResponseWriter, r *httpraw.Request, id uint64, sub *vlogSubmission, errs formErrors) {
	form := vlogForm{ID: id, Title: sub.in.Title, Body: sub.in.Body, Errors: errs}
	if id != 0 {
		if v, err := s.store.Vlog(id); err == nil {
			form.HasVideo = v.Video != nil
		}
	}
	if sub.in.Video != nil {
		if token := s.pending.keep(sub.user.ID, sub.in.Video, sub.videoName, sub.release); token != "" {
			form.Kept = &keptVideo{Token: token, Name: sub.videoName, Size: memstore.SizeText(sub.in.Video.Size)}
		} else {
			form.Errors.add("video", "The video could not be kept. Please choose it again.")
		}
		sub.kept = true
	}
	s.render(w, r, 422, "vlog_form", form)
}

// saveFailed answers an error from the store's create or edit: the form
// again for invalid input, else the error page.
func (s *Site) saveFailed(w httpraw.ResponseWriter, r *httpraw.Request, id uint64, sub *vlogSubmission, err error) {
	var fe formErrors
	if fe.addInvalid(err, nil, nil) {
		s.refuseVlogForm(w, r, id, sub, fe)
		return
	}
	s.fail(w, r, err)
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
