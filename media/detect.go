package media

import (
	"bytes"
	"encoding/binary"
)

// The media types DetectType reports.
const (
	TypeMP4      = "video/mp4"
	TypeWebM     = "video/webm"
	TypeMatroska = "video/x-matroska" // reported so callers can name it; not a browser format
	TypeJPEG     = "image/jpeg"
	TypePNG      = "image/png"

	// Camera and legacy containers: no browser plays them as they are, so
	// they are accepted only when they can be transcoded.
	TypeQuickTime = "video/quicktime" // .mov: ftyp brand "qt  ", or an old file starting with moov/mdat/wide
	TypeThreeGPP  = "video/3gpp"      // .3gp/.3g2: older phones
	TypeAVI       = "video/x-msvideo" // RIFF "AVI "
	TypeMPEGTS    = "video/mp2t"      // MPEG-2 transport stream (.ts, .mts, .m2ts)
)

// VideoTypes are every video container DetectType recognises: what an
// upload may be when ffmpeg can transcode it.
var VideoTypes = []string{TypeMP4, TypeWebM, TypeMatroska, TypeQuickTime, TypeThreeGPP, TypeAVI, TypeMPEGTS}

// BrowserTypes are the containers browsers play as they are: what an
// upload may be when nothing can transcode it.
var BrowserTypes = []string{TypeMP4, TypeWebM}

// DetectType decides a media type from the leading bytes of a file. It
// needs the first 64 bytes to decide reliably (an MPEG transport stream
// needs 3 packets: 388 bytes) and looks at more when given (Put and Stat
// pass 512). It returns one of the Type constants, or "" when the bytes
// are none of these: HTML renamed to .mp4 is "". It never reads past head
// and never panics.
func DetectType(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG // JPEG: SOI marker followed by another marker
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(head, ebmlMagic):
		return detectEBML(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return detectISOBMFF(head)
	case bytes.HasPrefix(head, []byte("RIFF")):
		// RIFF header (Microsoft AVI 1.0): "RIFF" size(4) "AVI ". Other
		// RIFF forms (WAVE, WEBP) are no video.
		if len(head) >= 12 && string(head[8:12]) == "AVI " {
			return TypeAVI
		}
		return ""
	case isQuickTimeAtom(head):
		return TypeQuickTime
	case isTransportStream(head):
		return TypeMPEGTS
	}
	return ""
}

// quickTimeAtoms are the top-level atoms a QuickTime file written before
// ftyp existed (Apple QuickTime File Format, "Atoms") starts with.
var quickTimeAtoms = map[string]bool{"moov": true, "mdat": true, "wide": true, "pnot": true}

// isQuickTimeAtom reports a classic QuickTime file: a known first atom
// whose 32-bit size is either 1 (a 64-bit size follows) or covers at least
// its own 8-byte header.
func isQuickTimeAtom(head []byte) bool {
	if len(head) < 8 || !quickTimeAtoms[string(head[4:8])] {
		return false
	}
	size := binary.BigEndian.Uint32(head[0:4])
	return size == 1 || size >= 8
}

// tsPacket is the size of an MPEG-2 transport stream packet (ISO/IEC
// 13818-1 §2.4.3.2), each starting with the sync byte 0x47.
const (
	tsPacket = 188
	tsSync   = 0x47
)

// isTransportStream looks for three consecutive packets' sync bytes: 188
// bytes apart from offset 0 (.ts), or 192 apart from offset 4 (.m2ts/.mts
// from camcorders, where a 4-byte timestamp precedes each packet). One
// sync byte alone would match a random byte one time in 256.
func isTransportStream(head []byte) bool {
	for _, layout := range []struct{ first, stride int }{{0, tsPacket}, {4, tsPacket + 4}} {
		if len(head) <= layout.first+2*layout.stride {
			continue
		}
		ok := true
		for i := range 3 {
			if head[layout.first+i*layout.stride] != tsSync {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// mp4Brands are ftyp brands (ISO/IEC 14496-12 and -14, and the common
// vendor ones) under which a browser plays the file as video/mp4.
var mp4Brands = map[string]bool{
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true,
	"iso6": true, "iso7": true, "iso8": true, "iso9": true,
	"mp41": true, "mp42": true, "mp71": true, "avc1": true, "av01": true,
	"dash": true, "msdh": true, "msix": true, "cmfc": true,
	"M4V ": true, "M4VH": true, "M4VP": true, "MSNV": true, "f4v ": true,
}

// threeGPPBrands are the 3GPP (TS 26.244) and 3GPP2 brands of older
// phones' recordings.
var threeGPPBrands = map[string]bool{
	"3gp4": true, "3gp5": true, "3gp6": true, "3gp7": true, "3gs7": true,
	"3ge6": true, "3ge7": true, "3gg6": true, "3g2a": true, "3g2b": true, "3g2c": true,
}

// imageBrands are ISO BMFF still-image formats (HEIF, AVIF). They may list
// a generic brand among their compatible brands but are not video.
var imageBrands = map[string]bool{
	"mif1": true, "msf1": true, "heic": true, "heix": true, "heim": true,
	"heis": true, "hevc": true, "hevx": true, "avif": true, "avis": true,
}

// detectISOBMFF checks an ISO base media file (ISO/IEC 14496-12 §4.3): the
// file starts with a FileTypeBox, size(4) "ftyp" major_brand(4)
// minor_version(4) compatible_brands(4*n).
func detectISOBMFF(head []byte) string {
	size := binary.BigEndian.Uint32(head[0:4])
	// A sane ftyp: at least major brand and minor version, whole brands,
	// and small. Size 0 ("to end of file") and 1 (64-bit size) make no
	// sense for ftyp and are refused.
	if size < 16 || size > 4096 || (size-16)%4 != 0 {
		return ""
	}
	major := string(head[8:12])
	if mp4Brands[major] {
		return TypeMP4
	}
	if major == "qt  " {
		return TypeQuickTime // Apple QuickTime File Format: iPhones and cameras
	}
	if threeGPPBrands[major] {
		return TypeThreeGPP
	}
	if imageBrands[major] {
		return ""
	}
	// An unfamiliar major brand: accept when a compatible brand (within
	// the box and within head) is one of ours.
	end := min(int(size), len(head))
	for i := 16; i+4 <= end; i += 4 {
		if mp4Brands[string(head[i:i+4])] {
			return TypeMP4
		}
	}
	return ""
}

var ebmlMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// EBML element IDs (RFC 8794 §11.2).
const (
	idDocType = 0x4282
)

// detectEBML reads the EBML header (RFC 8794 §11.2) that starts a WebM or
// Matroska file and returns by its DocType: "webm" → TypeWebM, "matroska" →
// TypeMatroska, anything else or no DocType within head → "".
func detectEBML(head []byte) string {
	p := head[len(ebmlMagic):]
	size, n, ok := readVint(p, false)
	if !ok {
		return ""
	}
	p = p[n:]
	if size < uint64(len(p)) { // an unknown size (all ones) is bounded by head
		p = p[:size]
	}
	for len(p) > 0 {
		id, n, ok := readVint(p, true)
		if !ok {
			return ""
		}
		p = p[n:]
		size, n, ok := readVint(p, false)
		if !ok {
			return ""
		}
		p = p[n:]
		if size > uint64(len(p)) {
			return "" // element runs past head (or has unknown size)
		}
		if id == idDocType {
			// RFC 8794 §7.4: a string may be padded with trailing NULs.
			switch string(bytes.TrimRight(p[:size], "\x00")) {
			case "webm":
				return TypeWebM
			case "matroska":
				return TypeMatroska
			}
			return ""
		}
		p = p[size:]
	}
	return ""
}

// readVint decodes an EBML variable-size integer (RFC 8794 §4): the number
// of leading zero bits of the first byte gives the length, 1 to 8 bytes.
// IDs keep their length marker bit; data sizes drop it. n is the bytes used.
func readVint(p []byte, keepMarker bool) (v uint64, n int, ok bool) {
	if len(p) == 0 || p[0] == 0 {
		return 0, 0, false // empty, or a length of more than 8 bytes
	}
	n = 1
	for mask := byte(0x80); p[0]&mask == 0; mask >>= 1 {
		n++
	}
	if len(p) < n {
		return 0, 0, false
	}
	v = uint64(p[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	for _, c := range p[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}
