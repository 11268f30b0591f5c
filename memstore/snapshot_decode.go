package memstore

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"vlogd/wal"
)

// loadSnapshot decodes the snapshot r, of either file version.
func loadSnapshot(r *wal.SnapshotReader, logger *slog.Logger) (*state, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if r.Version == 1 {
		p, err := r.Payload()
		if err != nil {
			return nil, err
		}
		return decodeSnapshotV1(p)
	}
	return decodeSnapshotV2(r, logger)
}

// decodeSnapshotV2 reads and decodes the chunks of a format 2 snapshot on
// every core, and merges them into the state in file order on this
// goroutine as they become ready: decoding (the bulk of the work: parsing
// rows, copying text) runs in parallel, while merging (map inserts, the
// checks that need what came before) stays sequential and deterministic.
func decodeSnapshotV2(r *wal.SnapshotReader, logger *slog.Logger) (*state, error) {
	n := r.Chunks()
	if n == 0 {
		return nil, fmt.Errorf("snapshot has no chunks")
	}
	ready := make([]chan decodedChunk, n)
	for i := range ready {
		ready[i] = make(chan decodedChunk, 1)
	}
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b, err := r.ReadChunk(i, buf)
				var d decodedChunk
				if err != nil {
					d.err = err
				} else {
					buf = b
					d = decodeChunk(b)
				}
				ready[i] <- d
			}
		}()
	}
	defer wg.Wait()
	defer stop.Store(true)

	ld := &loader{st: newState(), sizeHint: int(r.PayloadSize()), counts: make(map[sectionID]uint64)}
	start, lastLog := time.Now(), time.Now()
	for i := range n {
		d := <-ready[i]
		if d.err == nil {
			d.err = d.merge(ld, i)
		}
		if d.err != nil {
			var ce *wal.CorruptError
			if errors.As(d.err, &ce) {
				return nil, d.err
			}
			return nil, fmt.Errorf("chunk %d of %d: %w", i, n, d.err)
		}
		if time.Since(lastLog) >= time.Second {
			lastLog = time.Now()
			logProgress(logger, "loading snapshot", i+1, n, start)
		}
	}
	return ld.finish()
}

// logProgress reports how far a long step is: percent, rate, time left.
func logProgress(logger *slog.Logger, msg string, done, total int, start time.Time) {
	el := time.Since(start)
	rate := float64(done) / el.Seconds()
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	logger.Info(msg, "percent", 100*done/total, "done", done, "total", total,
		"per_second", int(rate), "left", left.Round(100*time.Millisecond))
}

// decodedChunk is one chunk, parsed; merge adds it to the state.
type decodedChunk struct {
	merge func(ld *loader, i int) error
	err   error
}

// loader is the state being built from a snapshot's chunks, with what the
// checks between chunks need.
type loader struct {
	st       *state
	meta     *meta
	sizeHint int // payload bytes: a bound for allocations driven by counts in the file
	counts   map[sectionID]uint64
	lastSec  sectionID
	lastID   uint64 // of the previous row of an ascending section
}

// decodeChunk parses one chunk: its section, row count and rows. It reads
// no state, so chunks decode in parallel.
func decodeChunk(b []byte) decodedChunk {
	// One copy of the chunk as a string; every string of every row is a
	// substring of it, so the rows cost one allocation for their text.
	r := &rowReader{s: string(b)}
	sec, err := r.uvarint()
	if err != nil {
		return decodedChunk{err: err}
	}
	n, err := r.uvarint()
	if err != nil {
		return decodedChunk{err: err}
	}
	if n == 0 || n > uint64(len(r.s)) {
		return decodedChunk{err: fmt.Errorf("%w: %d rows in %d bytes", errBadRow, n, len(r.s))}
	}
	var d decodedChunk
	switch sectionID(sec) {
	case sectionMeta:
		d.merge, d.err = decodeRows(r, n, decodeMeta, (*loader).mergeMeta)
	case sectionUsers:
		d.merge, d.err = decodeRows(r, n, decodeUser, (*loader).mergeUsers)
	case sectionSessions:
		d.merge, d.err = decodeRows(r, n, decodeSession, (*loader).mergeSessions)
	case sectionVlogs:
		d.merge, d.err = decodeRows(r, n, decodeVlog, (*loader).mergeVlogs)
	case sectionComments:
		d.merge, d.err = decodeRows(r, n, decodeComment, (*loader).mergeComments)
	case sectionLikes:
		d.merge, d.err = decodeRows(r, n, decodeLike, (*loader).mergeLikes)
	case sectionInvites:
		d.merge, d.err = decodeRows(r, n, decodeInvite, (*loader).mergeInvites)
	default:
		// A section this build does not know holds state it cannot keep:
		// refuse rather than drop it.
		d.err = fmt.Errorf("unknown section %d (written by a newer vlogd?)", sec)
	}
	if d.err == nil && r.off != len(r.s) {
		d.err = fmt.Errorf("%w: %d bytes after the last row", errBadRow, len(r.s)-r.off)
	}
	if d.err != nil {
		d.err = fmt.Errorf("section %d: %w", sec, d.err)
	}
	return d
}

// decodeRows parses n rows of type T into one slice (one allocation for
// the lot) and returns the merge that adds them to the state.
func decodeRows[T any](r *rowReader, n uint64, decode func(*fieldReader, *T) error,
	merge func(*loader, []T) error) (func(*loader, int) error, error) {
	// n comes from the file: allocate for it only as far as the chunk's
	// bytes could hold rows of a plausible size.
	rows := make([]T, 0, min(n, uint64(len(r.s)/4)))
	for i := range n {
		fr, err := r.row()
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		rows = append(rows, *new(T))
		if err := decode(&fr, &rows[i]); err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
	}
	sec := sectionOf[T]()
	return func(ld *loader, i int) error {
		if err := ld.enter(sec, i, uint64(len(rows))); err != nil {
			return err
		}
		return merge(ld, rows)
	}, nil
}

// sectionOf names the section whose rows are of type T.
func sectionOf[T any]() sectionID {
	switch any((*T)(nil)).(type) {
	case *meta:
		return sectionMeta
	case *User:
		return sectionUsers
	case *Session:
		return sectionSessions
	case *Vlog:
		return sectionVlogs
	case *Comment:
		return sectionComments
	case *like:
		return sectionLikes
	case *Invite:
		return sectionInvites
	}
	panic("memstore: no section for this row type")
}

// enter checks that chunk i of section sec comes in order: the meta chunk
// first, then sections in ascending order, each in one run of chunks.
func (ld *loader) enter(sec sectionID, i int, rows uint64) error {
	switch {
	case i == 0 && sec != sectionMeta:
		return fmt.Errorf("first chunk is section %d, want the meta section %d", sec, sectionMeta)
	case i > 0 && (sec == sectionMeta || sec < ld.lastSec):
		return fmt.Errorf("section %d after section %d", sec, ld.lastSec)
	}
	if sec != ld.lastSec {
		ld.lastID = 0
	}
	ld.lastSec = sec
	ld.counts[sec] += rows
	return nil
}

func (ld *loader) mergeMeta(rows []meta) error {
	m := &rows[0]
	if len(rows) != 1 {
		return fmt.Errorf("meta section has %d rows, want 1", len(rows))
	}
	if m.Version != snapshotFormat {
		return fmt.Errorf("snapshot format %d not supported (want %d)", m.Version, snapshotFormat)
	}
	ld.meta = m
	st := ld.st
	st.nextVlogID, st.nextUserID, st.nextCommentID = m.NextVlogID, m.NextUserID, m.NextCommentID
	st.nextInviteID = max(m.NextInviteID, 1)
	// Counts come from the file: trust them for sizing only up to what
	// the payload could hold.
	nv := int(min(m.Vlogs, uint64(ld.sizeHint/8)))
	st.vlogs = make(map[uint64]*Vlog, nv)
	st.order = make([]*Vlog, 0, nv)
	return nil
}

func (ld *loader) mergeUsers(rows []User) error {
	for i := range rows {
		u := &rows[i]
		if err := checkAscending("user", u.ID, ld.lastID, ld.st.nextUserID); err != nil {
			return err
		}
		if _, dup := ld.st.usersByName[nameKey(u.Name)]; dup {
			return fmt.Errorf("user name %q twice", u.Name)
		}
		if u.Owner && ld.st.ownerID != 0 {
			return fmt.Errorf("second owner %d (first %d)", u.ID, ld.st.ownerID)
		}
		ld.lastID = u.ID
		ld.st.addUser(u)
	}
	return nil
}

func (ld *loader) mergeSessions(rows []Session) error {
	for i := range rows {
		sess := &rows[i]
		if _, ok := ld.st.users[sess.UserID]; !ok {
			return fmt.Errorf("session of unknown user %d", sess.UserID)
		}
		ld.st.sessions[sess.TokenHash] = sess
	}
	return nil
}

func (ld *loader) mergeVlogs(rows []Vlog) error {
	for i := range rows {
		v := &rows[i]
		if err := checkAscending("vlog", v.ID, ld.lastID, ld.st.nextVlogID); err != nil {
			return err
		}
		author, ok := ld.st.users[v.AuthorID]
		if !ok {
			return fmt.Errorf("vlog %d by unknown user %d", v.ID, v.AuthorID)
		}
		v.Author = author.Name // one string per author, shared
		ld.lastID = v.ID
		ld.st.insertVlog(v)
	}
	return nil
}

func (ld *loader) mergeComments(rows []Comment) error {
	for i := range rows {
		c := &rows[i]
		if err := checkAscending("comment", c.ID, ld.lastID, ld.st.nextCommentID); err != nil {
			return err
		}
		if ld.st.vlogs[c.VlogID] == nil {
			return fmt.Errorf("comment %d on unknown vlog %d", c.ID, c.VlogID)
		}
		author, ok := ld.st.users[c.AuthorID]
		if !ok {
			return fmt.Errorf("comment %d by unknown user %d", c.ID, c.AuthorID)
		}
		c.Author = author.Name
		ld.lastID = c.ID
		ld.st.insertComment(c)
	}
	return nil
}

func (ld *loader) mergeLikes(rows []like) error {
	for _, l := range rows {
		if ld.st.vlogs[l.Vlog] == nil || ld.st.users[l.User] == nil {
			return fmt.Errorf("like of vlog %d by user %d: unknown vlog or user", l.Vlog, l.User)
		}
		ld.st.putLike(l.Vlog, l.User, true)
	}
	return nil
}

func (ld *loader) mergeInvites(rows []Invite) error {
	for i := range rows {
		inv := &rows[i]
		if err := checkAscending("invite", inv.ID, ld.lastID, ld.st.nextInviteID); err != nil {
			return err
		}
		ld.lastID = inv.ID
		ld.st.invites[inv.ID] = inv
	}
	return nil
}

// finish checks each section held as many rows as the meta row says.
func (ld *loader) finish() (*state, error) {
	m := ld.meta
	for sec, want := range map[sectionID]uint64{sectionUsers: m.Users, sectionSessions: m.Sessions,
		sectionVlogs: m.Vlogs, sectionComments: m.Comments, sectionLikes: m.Likes, sectionInvites: m.Invites} {
		if got := ld.counts[sec]; got != want {
			return nil, fmt.Errorf("section %d has %d rows, the meta row says %d", sec, got, want)
		}
	}
	return ld.st, nil
}
