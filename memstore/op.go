package memstore

import (
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// opKind names an operation in the log. The numbers are part of the on-disk
// format: never renumber or reuse one.
type opKind uint8

const (
	opCreateVlog    opKind = 1
	opDeleteVlog    opKind = 2
	opEditVlog      opKind = 3
	opCreateUser    opKind = 4
	opCreateSession opKind = 5
	opDeleteSession opKind = 6
	opSetPoster     opKind = 7
	opAddComment    opKind = 8
	opDeleteComment opKind = 9
	opSetLike       opKind = 10
	// Accounts: invites, moderation by the owner, disabled accounts.
	opCreateInvite     opKind = 11
	opRevokeInvite     opKind = 12
	opSetDisabled      opKind = 13
	opModDeleteVlog    opKind = 14
	opModDeleteComment opKind = 15

	// Video jobs (job.go): 20–29.
	opJobStart    opKind = 20
	opJobProgress opKind = 21
	opJobDone     opKind = 22
	opJobFail     opKind = 23
)

var opNames = map[opKind]string{
	opCreateVlog:       "create-vlog",
	opDeleteVlog:       "delete-vlog",
	opEditVlog:         "edit-vlog",
	opCreateUser:       "create-user",
	opCreateSession:    "create-session",
	opDeleteSession:    "delete-session",
	opSetPoster:        "set-poster",
	opAddComment:       "add-comment",
	opDeleteComment:    "delete-comment",
	opSetLike:          "set-like",
	opCreateInvite:     "create-invite",
	opRevokeInvite:     "revoke-invite",
	opSetDisabled:      "set-disabled",
	opModDeleteVlog:    "moderate-delete-vlog",
	opModDeleteComment: "moderate-delete-comment",
	opJobStart:         "job-start",
	opJobProgress:      "job-progress",
	opJobDone:          "job-done",
	opJobFail:          "job-fail",
}

func (k opKind) String() string {
	if name, ok := opNames[k]; ok {
		return name
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// op is one change to the state, as written to the log. It is a flat record
// rather than one type per kind so that the encoding stays a single msgpack
// map whose absent fields cost nothing; apply reads only the fields its kind
// uses.
//
// An op carries everything apply needs to be deterministic: the time it was
// made and its inputs. New IDs are not in the record: apply takes them from
// the counters in the state, which replay reproduces exactly.
type op struct {
	Kind opKind    `msgpack:"k"`
	At   time.Time `msgpack:"at"`
	// ID names the vlog an op changes.
	ID uint64 `msgpack:"id,omitempty"`
	// UserID is the user acting: the author of a new vlog, the editor, the
	// owner of a new session.
	UserID   uint64    `msgpack:"uid,omitempty"`
	Title    string    `msgpack:"title,omitempty"`
	Body     string    `msgpack:"body,omitempty"`
	Name     string    `msgpack:"name,omitempty"`
	PassHash string    `msgpack:"pw,omitempty"`
	Token    string    `msgpack:"token,omitempty"` // a session token's hash, never the token
	Expires  time.Time `msgpack:"exp,omitempty"`
	// Video is a new video for a vlog; its blob is durable before the op
	// is written. RemoveVideo drops a vlog's video on edit.
	Video       *Video `msgpack:"video,omitempty"`
	RemoveVideo bool   `msgpack:"rmvideo,omitempty"`
	// Hash and Poster set a poster: only if the vlog still shows the video
	// Hash when the op applies.
	Hash   string `msgpack:"hash,omitempty"`
	Poster string `msgpack:"poster,omitempty"`
	// CommentID names the comment a delete removes; Like is the state a
	// like op sets (true: liked).
	CommentID uint64 `msgpack:"cid,omitempty"`
	Like      bool   `msgpack:"like,omitempty"`
	// Accounts. A sign-up may spend an invite (InviteID), may be allowed
	// only while the site has no account (FirstOnly: the would-be owner's
	// sign-up under a closed policy), and may claim the vacant ownership
	// (ClaimOwner: `vlogd user add`). Target is the account an owner's
	// op changes; Disabled the state it sets.
	InviteID   uint64 `msgpack:"inv,omitempty"`
	FirstOnly  bool   `msgpack:"first,omitempty"`
	ClaimOwner bool   `msgpack:"claim,omitempty"`
	Target     uint64 `msgpack:"target,omitempty"`
	Disabled   bool   `msgpack:"disabled,omitempty"`
	// A transcoding job's record names its vlog (ID) and the video it
	// works on (Hash), and carries its progress, its renditions, or why
	// it failed and whether it will be retried.
	Percent    int         `msgpack:"pct,omitempty"`
	Renditions []Rendition `msgpack:"rend,omitempty"`
	Reason     string      `msgpack:"reason,omitempty"`
	Retry      bool        `msgpack:"retry,omitempty"`
}

func encodeOp(o *op) ([]byte, error) {
	b, err := msgpack.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("memstore: encode %v: %w", o.Kind, err)
	}
	return b, nil
}

func decodeOp(b []byte) (*op, error) {
	var o op
	if err := msgpack.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("memstore: decode op: %w", err)
	}
	return &o, nil
}
