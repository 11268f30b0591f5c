package web

import (
	"strings"

	"vlogd/memstore"
)

// fieldError is one message of a refused form, for the field whose input
// has the element id ID. Text is a whole sentence ("Title is required.");
// the error summary at the top of the form links to #ID with it, and the
// field itself shows it as the description the input points at.
type fieldError struct {
	ID   string
	Text string
}

// formErrors are every message of a refused form, in the order of its
// fields. The zero value is a form without problems.
type formErrors []fieldError

// For returns the message for the field with element id id, or "".
func (fe formErrors) For(id string) string {
	for _, e := range fe {
		if e.ID == id {
			return e.Text
		}
	}
	return ""
}

// add appends a message for the field id.
func (fe *formErrors) add(id, text string) { *fe = append(*fe, fieldError{ID: id, Text: text}) }

// addInvalid appends a message for each field error in err (see
// memstore.Invalid), naming the field by its label. ids maps the store's
// field names to element ids where they differ (the comment box is
// "comment-body", its store field "body"), and labels names the fields as
// the form does. It reports whether err carried any.
func (fe *formErrors) addInvalid(err error, ids, labels map[string]string) bool {
	es := memstore.Invalid(err)
	for _, e := range es {
		id := e.Field
		if mapped, ok := ids[e.Field]; ok {
			id = mapped
		}
		if fe.For(id) != "" {
			continue // one message per field: the first rule it broke
		}
		label, ok := labels[e.Field]
		if !ok {
			label = strings.ToUpper(e.Field[:1]) + e.Field[1:]
		}
		fe.add(id, label+" "+e.Msg+".")
	}
	return len(es) > 0
}
