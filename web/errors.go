package web

import (
	"errors"
	"strconv"
	"strings"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// fail answers r for err. It is the one place that maps errors from the
// store and from request parsing to status codes; errors it does not know
// are logged and shown as 500 without their details.
func (s *Site) fail(w httpraw.ResponseWriter, r *httpraw.Request, err error) {
	switch {
	case errors.Is(err, memstore.ErrNotFound):
		s.notFound(w, r)
	case errors.Is(err, memstore.ErrForbidden):
		s.errorPage(w, r, 403, "Only the author of this vlog may change it.")
	case errors.Is(err, errHashBusy):
		// Too many sign-ins and sign-ups at once: refuse rather than queue
		// without bound (each hash holds 19 MiB).
		w.Header().Set("Retry-After", hashRetryAfter)
		s.errorPage(w, r, 503, "The site is busy checking other passwords. Please try again in a few seconds.")
	case errors.Is(err, httpraw.ErrBodyTooLarge):
		s.errorPage(w, r, 413, "That submission is too large.")
	case errors.Is(err, httpraw.ErrUnsupportedMediaType):
		s.errorPage(w, r, 415, "That form was sent in an encoding this site does not accept.")
	case errors.Is(err, httpraw.ErrClientGone):
		// Nobody is left to read the page; worth a line, not an alarm.
		s.logger.Info("client went away mid-request", "method", r.Method, "path", r.Path, "remote", r.RemoteAddr, "err", err)
		s.errorPage(w, r, 400, "The request was cut off before it was complete. Nothing was changed.")
	case errors.Is(err, httpraw.ErrBodyTimeout):
		s.logger.Info("request body too slow", "method", r.Method, "path", r.Path, "remote", r.RemoteAddr, "err", err)
		s.errorPage(w, r, 408, "The request arrived too slowly and was stopped. Nothing was changed; please try again.")
	case errors.Is(err, httpraw.ErrMalformedForm), errors.Is(err, httpraw.ErrMalformedBody):
		s.logger.Debug("malformed request body", "method", r.Method, "path", r.Path, "remote", r.RemoteAddr, "err", err)
		s.errorPage(w, r, 400, "That form was malformed, so nothing was changed: "+clientMessage(err))
	case errors.Is(err, memstore.ErrNoSpace):
		// RFC 4918 §11.5: the server could not store what was sent. It is
		// not a bug, and it was lost: say so, and when to retry.
		s.logger.Error("write refused: storage full", "path", r.Path, "err", err)
		w.Header().Set("Retry-After", "60")
		s.errorPage(w, r, 507, "The server's storage is full, so this was not saved. Please retry the upload (or the change) later.")
	case errors.Is(err, memstore.ErrUnavailable), errors.Is(err, memstore.ErrClosed):
		s.logger.Error("write refused", "path", r.Path, "err", err)
		w.Header().Set("Retry-After", "60")
		s.errorPage(w, r, 503, "The site cannot save changes right now: "+unhealthyReason(err)+". Reading still works.")
	default:
		s.logger.Error("request failed", "method", r.Method, "path", r.Path, "err", err)
		s.errorPage(w, r, 500, "Something went wrong on our side. Nothing you sent was lost by it; please try again.")
	}
}

// clientMessage says what was wrong with a malformed form, in words a
// person sending it by hand can act on, without echoing their input.
func clientMessage(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "semicolon"):
		return "fields must be separated by '&', not ';'."
	case strings.Contains(msg, "fields, at most"):
		return "it has more than " + strconv.Itoa(httpraw.MaxFormFields) + " fields."
	case strings.Contains(msg, "invalid URL escape"):
		return "it has a '%' that is not followed by two hexadecimal digits."
	case errors.Is(err, httpraw.ErrMalformedBody):
		return "its body was not framed correctly."
	}
	return "it is not valid application/x-www-form-urlencoded."
}

// errorPage renders the friendly error page with status.
func (s *Site) errorPage(w httpraw.ResponseWriter, r *httpraw.Request, status int, msg string) {
	s.render(w, r, status, "error", errorView{Status: status, Heading: httpraw.StatusText(status), Message: msg})
}

func (s *Site) notFound(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.errorPage(w, r, 404, "There is nothing at this address. It may have been deleted.")
}

// methodNotAllowed runs after the mux has set Allow.
func (s *Site) methodNotAllowed(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.errorPage(w, r, 405, "This address does not accept that kind of request.")
}
