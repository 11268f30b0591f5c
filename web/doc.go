// Package web is the site: the route table, one small handler per action,
// the html/template pages and the stylesheet, and the mapping from store
// errors to status codes and error pages.
//
// Pages are rendered on the server from templates embedded in the binary
// and work in any browser without JavaScript. Contextual escaping by
// html/template is the XSS defence: no HTML is ever built by concatenating
// strings. Every response carries a Content-Security-Policy that allows no
// inline script.
//
// web reads and writes through memstore and speaks HTTP through httpraw; it
// never touches the data directory itself.
package web
