package main

import (
	"fmt"
	"io"
	"strconv"
)

// testKnobs are settings only tests change: they make the server roll
// segments and write snapshots after a few KiB instead of MiB, so a short
// crash test reaches those moments often. They are environment variables,
// not flags, and --help does not list them: they are not for production.
type testKnobs struct {
	segmentSize   int64 // VLOGD_TEST_SEGMENT_SIZE: wal segment size in bytes
	snapshotBytes int64 // VLOGD_TEST_SNAPSHOT_BYTES: log bytes between snapshots
	// noTranscode (VLOGD_TEST_NO_TRANSCODE=1) keeps videos as uploaded,
	// as without ffmpeg: the power-loss test's rounds stay short and its
	// file system holds no ffmpeg writers when the power goes.
	noTranscode bool
}

// parseTestKnobs reads the VLOGD_TEST_* variables; unset means default (0).
func parseTestKnobs(getenv func(string) string, stderr io.Writer) (testKnobs, error) {
	var k testKnobs
	switch s := getenv("VLOGD_TEST_NO_TRANSCODE"); s {
	case "", "0":
	case "1":
		k.noTranscode = true
	default:
		fmt.Fprintf(stderr, "vlogd: VLOGD_TEST_NO_TRANSCODE=%q: want 1 or 0\n", s)
		return k, errUsage
	}
	for _, v := range []struct {
		env string
		dst *int64
	}{
		{"VLOGD_TEST_SEGMENT_SIZE", &k.segmentSize},
		{"VLOGD_TEST_SNAPSHOT_BYTES", &k.snapshotBytes},
	} {
		s := getenv(v.env)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "vlogd: %s=%q: want a positive number of bytes\n", v.env, s)
			return k, errUsage
		}
		*v.dst = n
	}
	return k, nil
}
