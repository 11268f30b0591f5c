package web

import (
	"html/template"
	"log/slog"
	"net/netip"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// Options configure a Site. The zero value is usable.
type Options struct {
	// Logger receives handler errors; nil discards.
	Logger *slog.Logger
	// Now is the clock of the sign-in throttle and of invite expiry;
	// nil means time.Now.
	Now func() time.Time
	// MaxUpload is the largest video accepted, in bytes; 0 means 512 MiB.
	MaxUpload int64
	// Metrics collects what /metrics reports; nil makes a fresh one. Pass
	// the same value's Observe methods to the store to include the log.
	Metrics *Metrics
	// PageCacheBytes is the render cache's budget for pages shared by
	// anonymous readers; 0 means DefaultPageCacheBytes, negative turns the
	// cache off.
	PageCacheBytes int64
	// OpenConns reports the server's open connections for /metrics; nil
	// leaves the gauge out.
	OpenConns func() int
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto (or Forwarded) fields are believed, for the
	// client's address and scheme; see ParseTrustedProxies. nil trusts
	// no one.
	TrustedProxies []netip.Prefix
	// LowSpace is the free space of the data directory's file system below
	// which /healthz and /metrics warn; 0 means DefaultLowSpace.
	LowSpace int64
	// Signup is who may make an account; "" means SignupInvite.
	Signup SignupPolicy
	// BaseURL is the site's canonical origin ("https://vlog.example"),
	// the one source of every absolute URL it writes (feed, API). It is
	// never taken from a request's Host. "" means http://localhost; the
	// binary passes --base-url or its listen address.
	BaseURL string
	// CanonicalOrigin, when set, says BaseURL was configured (--base-url)
	// rather than derived from the listen address: forms sent from that
	// origin are accepted even when the request itself arrived over plain
	// HTTP from a proxy that terminates TLS.
	CanonicalOrigin bool
	// Secret keys the CSRF tokens and the invite links; it must stay the
	// same across restarts for them to survive. Empty means a random one
	// for this process.
	Secret []byte
	// HashConcurrency is how many password hashes may run at once; 0
	// means one per core. HashQueue is how many more may wait; 0 means
	// four per core, negative none. HashMaxWait is how long a queued
	// hash waits for its turn before the attempt gets 503; 0 means 3s.
	HashConcurrency int
	HashQueue       int
	HashMaxWait     time.Duration
}

// Sign-in throttling: after this many failures within loginWindow, further
// attempts for the same username, or from the same address, get 429.
const (
	loginFailuresPerName = 5
	loginFailuresPerAddr = 20
	loginWindow          = 15 * time.Minute
)

// Site holds what the handlers depend on. Build it with New; serve
// Handler().
type Site struct {
	store  *memstore.Store
	logger *slog.Logger
	pages  map[string]*template.Template
	static map[string]*storedPage

	maxUpload int64
	lowSpace  int64
	m         *Metrics
	openConns func() int
	proxies   proxySet
	cache     *pageCache // nil: every page is rendered per request

	now        func() time.Time
	signup     SignupPolicy
	baseURL    string // no trailing slash
	baseOrigin origin // zero unless Options.CanonicalOrigin
	csrfKey    []byte
	inviteKey  []byte
	hashes     *hashGate

	loginByName, loginByAddr *throttle
	// pending holds videos of refused forms for their next try; flash the
	// one-shot messages shown after a redirect.
	pending *pendingUploads
	flash   *flashes
	// dummyHash is checked against when a sign-in names an unknown user,
	// so that it takes as long as a wrong password and does not reveal
	// which names exist.
	dummyHash string
}

// New parses every template and loads the static files, failing fast if any
// of them is broken.
func New(store *memstore.Store, opts Options) (*Site, error) {
	s := &Site{store: store, logger: opts.Logger, maxUpload: opts.MaxUpload, m: opts.Metrics, openConns: opts.OpenConns,
		proxies: opts.TrustedProxies}
	if s.m == nil {
		s.m = NewMetrics()
	}
	switch {
	case opts.PageCacheBytes == 0:
		s.cache = newPageCache(DefaultPageCacheBytes)
	case opts.PageCacheBytes > 0:
		s.cache = newPageCache(opts.PageCacheBytes)
	}
	s.lowSpace = opts.LowSpace
	if s.lowSpace <= 0 {
		s.lowSpace = DefaultLowSpace
	}
	if s.maxUpload <= 0 {
		s.maxUpload = 512 << 20
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s.now = now
	s.loginByName = newThrottle(loginFailuresPerName, loginWindow, now)
	s.loginByAddr = newThrottle(loginFailuresPerAddr, loginWindow, now)
	s.pending = newPendingUploads(now)
	s.flash = newFlashes(now)
	maxWait := opts.HashMaxWait
	if maxWait <= 0 {
		maxWait = hashMaxWait
	}
	s.hashes = newHashGate(opts.HashConcurrency, opts.HashQueue, maxWait)
	var err error
	if s.signup, err = ParseSignupPolicy(string(opts.Signup)); err != nil {
		return nil, err
	}
	if err := s.setBaseURL(opts.BaseURL, opts.CanonicalOrigin); err != nil {
		return nil, err
	}
	secret := opts.Secret
	if len(secret) == 0 {
		if secret, err = randomBytes(32); err != nil {
			return nil, err
		}
	}
	s.csrfKey, s.inviteKey = deriveKey(secret, "csrf"), deriveKey(secret, "invite")
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	if s.dummyHash, err = hashPassword(token); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the whole site as one handler.
func (s *Site) Handler() httpraw.Handler {
	routes := s.routes()
	return s.m.measure(securityHeaders(s.cached(routes, httpraw.Gzip(routes))))
}
