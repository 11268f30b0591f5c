package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"vlogd/media"
	"vlogd/memstore"
	"vlogd/wal"
)

const verifyUsage = `Usage: vlogd verify [--data DIR]

Checks every snapshot and log segment of a data directory: headers,
checksums, batches, sequence numbers and their continuity. It reads only:
it takes no lock and changes nothing, so it may run beside a server (a
write in flight may then show as a torn tail). The report names every file
and, for damage, the offset and sequence number. Exit status 0 means all is
sound; 1 means something is damaged (see the report) or could not be read.
`

// runVerify is `vlogd verify`.
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("verify", verifyUsage, stderr)
	data := fs.String("data", envOr(getenv, "VLOGD_DATA", "./data"), "data `directory` to check (env VLOGD_DATA)")
	if err := parseSubcommandFlags(fs, args); err != nil {
		return err
	}
	sound, err := verifyData(*data, stdout)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !sound {
		return fmt.Errorf("verify: %s is damaged; see the report above (vlogd repair can cut the log back, keeping copies)", *data)
	}
	fmt.Fprintf(stdout, "verify: %s is sound\n", *data)
	return nil
}

// dataCheck is one part of `vlogd verify`: it reports on what it checks in
// the data directory dir to w and says whether all of it is sound. An
// error means it could not check (a missing or unreadable directory).
type dataCheck func(dir string, w io.Writer) (sound bool, err error)

// dataChecks are the checks `vlogd verify` runs, in order.
var dataChecks = []dataCheck{verifyLog, verifyBlobs}

// verifyData runs every data check; it is sound only if each one is.
func verifyData(dir string, w io.Writer) (bool, error) {
	sound := true
	for _, check := range dataChecks {
		ok, err := check(dir, w)
		if err != nil {
			return false, err
		}
		sound = sound && ok
	}
	return sound, nil
}

// verifyLog checks the snapshots and the log with wal.Verify: read-only,
// without the lock.
func verifyLog(dir string, w io.Writer) (bool, error) {
	r, err := wal.Verify(dir)
	if err != nil {
		return false, err
	}
	fmt.Fprint(w, r.String())
	return r.OK(), nil
}

// verifyBlobs loads the state read-only and checks that every media blob a
// vlog references exists and hashes to its name.
func verifyBlobs(dir string, w io.Writer) (bool, error) {
	in, err := memstore.Inspect(dir)
	if err != nil {
		// The log check above has reported the damage that stops this.
		fmt.Fprintf(w, "media: not checked: %v\n", err)
		return false, nil
	}
	sound := true
	for _, hash := range in.Blobs {
		if err := media.VerifyIn(filepath.Join(dir, "blobs"), hash); err != nil {
			fmt.Fprintf(w, "media: DAMAGED %s\n", err)
			sound = false
		}
	}
	fmt.Fprintf(w, "media: %d referenced blobs checked (state at seq %d: %d vlogs)\n", len(in.Blobs), in.LastSeq, in.Vlogs)
	return sound, nil
}
