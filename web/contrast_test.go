package web

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// WCAG 2.2 AA, computed from the stylesheet itself: text needs 4.5:1
// against what it sits on (1.4.3), and the boundaries of controls and the
// focus ring 3:1 (1.4.11), in light mode and in dark mode.

var (
	cssVarRE   = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})\s*;`)
	cssRootRE  = regexp.MustCompile(`(?s):root\s*\{(.*?)\}`)
	cssDarkRE  = regexp.MustCompile(`(?s)@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}`)
	hexColorRE = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
)

// colorVars reads the --name: #hex declarations of a block.
func colorVars(block string) map[string]string {
	vars := make(map[string]string)
	for _, m := range cssVarRE.FindAllStringSubmatch(block, -1) {
		vars[m[1]] = m[2]
	}
	return vars
}

// luminance is the relative luminance of an sRGB colour (WCAG 2.2,
// "relative luminance").
func luminance(hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var lin [3]float64
	for i := range lin {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			lin[i] = c / 12.92
		} else {
			lin[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*lin[0] + 0.7152*lin[1] + 0.0722*lin[2]
}

// contrast is the WCAG contrast ratio of two colours, 1 to 21.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestContrastRatio(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{{"#000", "#fff", 21}, {"#ffffff", "#ffffff", 1}, {"#767676", "#ffffff", 4.54}} {
		if got := contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestStylesheetContrast(t *testing.T) {
	css, err := staticFS.ReadFile("static/site.css")
	if err != nil {
		t.Fatal(err)
	}
	root := cssRootRE.FindSubmatch(css)
	dark := cssDarkRE.FindSubmatch(css)
	if root == nil || dark == nil {
		t.Fatal("site.css has no :root block, or no dark-mode :root block")
	}
	light := colorVars(string(root[1]))
	darkVars := colorVars(string(root[1]))
	for k, v := range colorVars(string(dark[1])) {
		darkVars[k] = v
	}
	// Each pair is a foreground used on a background somewhere in the
	// stylesheet, with the ratio its use needs.
	pairs := []struct {
		fg, bg string
		min    float64
		use    string
	}{
		{"fg", "bg", 4.5, "body text"},
		{"fg", "card", 4.5, "text in inputs, the error summary, kept video"},
		{"muted", "bg", 4.5, "meta lines, hints, counts"},
		{"muted", "card", 4.5, "hints beside inputs"},
		{"accent", "bg", 4.5, "links, outlined buttons"},
		{"accent", "card", 4.5, "links on cards, the skip link"},
		{"accent", "flash", 4.5, "links in a flash"},
		{"accent-fg", "accent", 4.5, "text on filled buttons and badges"},
		{"danger", "bg", 4.5, "field errors, the outlined Delete"},
		{"danger", "card", 4.5, "links in the error summary"},
		{"accent-fg", "danger", 4.5, "the confirming Delete button"},
		{"accent-fg", "like", 4.5, "the Liked button"},
		{"fg", "mark", 4.5, "searched words"},
		{"fg", "flash", 4.5, "status messages"},
		{"border", "bg", 3, "input and box borders"},
		{"border", "card", 3, "input borders against their fill"},
		{"focus", "bg", 3, "the focus ring"},
		{"focus", "card", 3, "the focus ring on cards"},
		{"accent", "bg", 3, "filled and outlined button edges"},
		{"danger", "bg", 3, "error summary border, invalid inputs"},
		{"like", "bg", 3, "the Liked button's edge"},
	}
	for mode, vars := range map[string]map[string]string{"light": light, "dark": darkVars} {
		for _, p := range pairs {
			fg, bg := vars[p.fg], vars[p.bg]
			if !hexColorRE.MatchString(fg) || !hexColorRE.MatchString(bg) {
				t.Errorf("%s mode: --%s (%q) or --%s (%q) is not a hex colour", mode, p.fg, fg, p.bg, bg)
				continue
			}
			if got := contrast(fg, bg); got < p.min {
				t.Errorf("%s mode: --%s %s on --%s %s is %.2f:1, want at least %.1f:1 (%s)", mode, p.fg, fg, p.bg, bg, got, p.min, p.use)
			}
		}
	}
	// Controls draw their edges with --border, not the faint --line.
	if !regexp.MustCompile(`(?s)input\[type="text"\][^{]*\{[^}]*border: 1px solid var\(--border\)`).Match(css) {
		t.Error("text inputs do not use --border for their edge")
	}
	if !strings.Contains(string(css), ":focus-visible { outline: 3px solid var(--focus)") {
		t.Error("no strong :focus-visible outline in --focus")
	}
}
