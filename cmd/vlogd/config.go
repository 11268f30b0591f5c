package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"vlogd/media"
	"vlogd/web"
)

// errUsage reports a command line that could not be parsed; the flag
// package has already printed why.
var errUsage = errors.New("usage error")

// config is everything the server is told from outside.
type config struct {
	addr      string
	data      string
	logLevel  slog.Level
	tlsCert   string
	tlsKey    string
	maxUpload int64
	backupTo  string // continuous backup destination; "" for none
	pageCache int64  // render cache budget in bytes; -1 turns it off
	// transcodeJobs is how many videos ffmpeg converts at once; 0 means
	// one per two CPUs.
	transcodeJobs int
	lowSpace      int64 // free bytes below which /healthz and /metrics warn
	test          testKnobs

	maxConns        int            // httpraw.Server.MaxConns
	maxConnsPerAddr int            // httpraw.Server.MaxConnsPerAddr; -1 for no cap
	minBodyRate     int            // bytes/s; -1 for no floor
	trustedProxies  []netip.Prefix // peers whose forwarding headers are believed
	accessLog       bool           // one info line per request
	version         bool           // --version: print it and exit
	signup          web.SignupPolicy
	baseURL         string // canonical origin; "" means the listen address
}

// envFlag is one flag with the environment variable that stands in for it
// when the flag is not given.
type envFlag struct {
	name, env, def, usage string
}

var serveFlags = []envFlag{
	{"addr", "VLOGD_ADDR", "127.0.0.1:8080", "`address` to listen on, host:port (port 0 picks a free one)"},
	{"data", "VLOGD_DATA", "./data", "`directory` holding the log, snapshots and media; created if missing"},
	{"log-level", "VLOGD_LOG_LEVEL", "info", "log `level`: debug, info, warn or error"},
	{"tls-cert", "VLOGD_TLS_CERT", "", "PEM certificate `file` (with chain); serves HTTPS when given with --tls-key"},
	{"tls-key", "VLOGD_TLS_KEY", "", "PEM private key `file` for --tls-cert"},
	{"max-upload", "VLOGD_MAX_UPLOAD", "512MiB", "largest video `size` accepted, e.g. 512MiB, 2GiB, 100MB"},
	{"page-cache", "VLOGD_PAGE_CACHE", "64MiB", "render cache `size` for pages shared by anonymous readers; 0 turns it off"},
	{"backup-to", "VLOGD_BACKUP_TO", "", "back up continuously to this `directory` while serving (see vlogd backup --help)"},
	{"transcode-jobs", "VLOGD_TRANSCODE_JOBS", "0", "`number` of videos converted at once by ffmpeg (at low priority); 0 means one per two CPUs"},
	{"low-space", "VLOGD_LOW_SPACE", "1GiB", "warn in /healthz and /metrics when the data directory's file system has less than this `size` free"},
	{"max-conns", "VLOGD_MAX_CONNS", "10000", "most open `connections`; at the cap the longest-idle one is closed to admit a new one"},
	{"max-conns-per-addr", "VLOGD_MAX_CONNS_PER_ADDR", "128", "most open `connections` from one client address (IPv6: one /64); more are closed at once; 0 for no cap; --trusted-proxy peers are exempt"},
	{"min-body-rate", "VLOGD_MIN_BODY_RATE", "240", "slowest request body accepted after a 5s grace period, in `bytes/s` averaged; slower gets 408; 0 for no floor"},
	{"trusted-proxy", "VLOGD_TRUSTED_PROXY", "", "reverse proxies (`CIDR[,CIDR]` or addresses) whose X-Forwarded-For/-Proto or Forwarded are believed"},
	{"signup", "VLOGD_SIGNUP", "invite", "who may make an account: `policy` open, invite (links from the owner) or closed"},
	{"base-url", "VLOGD_BASE_URL", "", "canonical origin for absolute URLs (feed, API, embeds), e.g. https://vlog.example; default the listen `URL`"},
}

// boolFlags are the server's on/off flags, given as --name or
// --name=false, or as true/false in their variable.
var boolFlags = []envFlag{
	{"access-log", "VLOGD_ACCESS_LOG", "true", "log one line per request at info: method, path, status, bytes, duration, client"},
}

// parseServeFlags reads the server's flags from args, falling back to the
// environment and then to the built-in default for each one. A flag wins
// over its variable.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("vlogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := make(map[string]*string, len(serveFlags))
	for _, f := range serveFlags {
		def := f.def
		if v := getenv(f.env); v != "" {
			def = v
		}
		values[f.name] = fs.String(f.name, def, fmt.Sprintf("%s (env %s)", f.usage, f.env))
	}
	bools := make(map[string]*bool, len(boolFlags))
	for _, f := range boolFlags {
		def, err := strconv.ParseBool(envOr(getenv, f.env, f.def))
		if err != nil {
			fmt.Fprintf(stderr, "vlogd: %s=%q: want true or false\n", f.env, getenv(f.env))
			return config{}, errUsage
		}
		bools[f.name] = fs.Bool(f.name, def, fmt.Sprintf("%s (env %s)", f.usage, f.env))
	}
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, `vlogd serves a vlog (video blog): posts kept in memory, every change
written to a write-ahead log and fsynced before it is acknowledged.

Usage:
  vlogd [--flag value ...]   serve the site
  vlogd COMMAND --help       help for a command
`)
		printCommands(stderr)
		fmt.Fprint(stderr, "\nFlags (each may also be set by its environment variable; a flag wins):\n")
		printFlags(stderr, fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vlogd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return config{}, errUsage
	}
	cfg := config{addr: *values["addr"], data: *values["data"], tlsCert: *values["tls-cert"], tlsKey: *values["tls-key"]}
	if err := cfg.logLevel.UnmarshalText([]byte(strings.TrimSpace(*values["log-level"]))); err != nil {
		fmt.Fprintf(stderr, "vlogd: --log-level: %v\n", err)
		return config{}, errUsage
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		fmt.Fprintln(stderr, "vlogd: --tls-cert and --tls-key go together")
		return config{}, errUsage
	}
	n, err := media.ParseSize(*values["max-upload"])
	if err != nil || n <= 0 {
		fmt.Fprintf(stderr, "vlogd: --max-upload %q: want a positive size like 512MiB\n", *values["max-upload"])
		return config{}, errUsage
	}
	cfg.maxUpload = n
	if cfg.pageCache, err = media.ParseSize(*values["page-cache"]); err != nil || cfg.pageCache < 0 {
		fmt.Fprintf(stderr, "vlogd: -page-cache %q: want a size like 64MiB, or 0 for none\n", *values["page-cache"])
		return config{}, errUsage
	}
	if cfg.pageCache == 0 {
		cfg.pageCache = -1 // web: negative turns the cache off, 0 means its default
	}
	cfg.backupTo = *values["backup-to"]
	jobs, err := strconv.Atoi(strings.TrimSpace(*values["transcode-jobs"]))
	if err != nil || jobs < 0 || jobs > 256 {
		fmt.Fprintf(stderr, "vlogd: --transcode-jobs %q: want a number from 0 to 256\n", *values["transcode-jobs"])
		return config{}, errUsage
	}
	cfg.transcodeJobs = jobs
	if cfg.lowSpace, err = media.ParseSize(*values["low-space"]); err != nil || cfg.lowSpace <= 0 {
		fmt.Fprintf(stderr, "vlogd: --low-space %q: want a positive size like 1GiB\n", *values["low-space"])
		return config{}, errUsage
	}
	if cfg.test, err = parseTestKnobs(getenv, stderr); err != nil {
		return config{}, err
	}
	if cfg.signup, err = web.ParseSignupPolicy(*values["signup"]); err != nil {
		fmt.Fprintf(stderr, "vlogd: --signup %q: want open, invite or closed\n", *values["signup"])
		return config{}, errUsage
	}
	cfg.baseURL = strings.TrimSuffix(*values["base-url"], "/")
	cfg.accessLog, cfg.version = *bools["access-log"], *version
	if err := parseNetFlags(&cfg, values, stderr); err != nil {
		return config{}, err
	}
	if cfg.data == "" {
		fmt.Fprintln(stderr, "vlogd: --data must not be empty")
		return config{}, errUsage
	}
	return cfg, nil
}

// parseNetFlags reads the flags that guard the network edge into cfg.
func parseNetFlags(cfg *config, values map[string]*string, stderr io.Writer) error {
	atLeast := func(name string, min int) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(*values[name]))
		if err != nil || n < min {
			fmt.Fprintf(stderr, "vlogd: --%s %q: want a whole number of at least %d\n", name, *values[name], min)
			return 0, false
		}
		return n, true
	}
	var ok bool
	if cfg.maxConns, ok = atLeast("max-conns", 1); !ok {
		return errUsage
	}
	if cfg.maxConnsPerAddr, ok = atLeast("max-conns-per-addr", 0); !ok {
		return errUsage
	}
	if cfg.minBodyRate, ok = atLeast("min-body-rate", 0); !ok {
		return errUsage
	}
	// 0 means "none" on the command line; httpraw reads 0 as its default.
	if cfg.maxConnsPerAddr == 0 {
		cfg.maxConnsPerAddr = -1
	}
	if cfg.minBodyRate == 0 {
		cfg.minBodyRate = -1
	}
	proxies, err := web.ParseTrustedProxies(*values["trusted-proxy"])
	if err != nil {
		fmt.Fprintf(stderr, "vlogd: --trusted-proxy: %v\n", err)
		return errUsage
	}
	cfg.trustedProxies = proxies
	return nil
}
